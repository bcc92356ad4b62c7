"""Preflight: everything a loop needs, checked before ``start``/``run`` changes anything.

A loop that cannot work should fail before it makes a branch, a worktree, a
state file or an agent call, and say why in seconds.  So before any of that:
git (installed, a repository, an identity to commit with), the configuration
(parsed), the sprint's files (read the way the loop reads them), and the agent
(installed and logged in, through :meth:`Backend.readiness
<loopd.agents.base.Backend.readiness>`).  Every failure is one line naming
what is wrong and how to fix it; then ``require`` raises and nothing is left
on disk.  Reading files and running ``--version``-style probes writes nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from loopd import proc
from loopd.agents import backends
from loopd.agents.readiness import Readiness
from loopd.config import Config, load_config
from loopd.errors import LoopdError
from loopd.gitseam import repo as gitrepo
from loopd.sprint import Sprint
from loopd.sprint_check import sprint_report

GIT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Failure:
    """One thing that stops the loop before it starts."""

    what: str
    detail: str
    fix: str = ""

    @property
    def line(self) -> str:
        return f"{self.what}: {self.detail}" + (f"; to fix: {self.fix}" if self.fix else "")


@dataclass
class Report:
    """What preflight found: the failures, and the agent's probe when it ran."""

    failures: list[Failure] = field(default_factory=list)
    agent: Readiness | None = None

    @property
    def summary(self) -> str:
        """The line a passed preflight shows: which agent, and how it is logged in."""
        return "preflight ok" + (f"; agent: {self.agent.detail}" if self.agent else "")


def check(found: Sprint, environ: Mapping[str, str] | None = None) -> Report:
    """Every check, all of them run so the user sees every problem at once."""
    report = Report()
    git = _git(found)
    report.failures += git
    config = _config(found, report)
    report.failures += sprint_files(found, config)
    if config is not None:
        if not git:  # who commits only matters in a repository
            report.failures += _identity(found, config)
        env = os.environ if environ is None else environ
        agent = backends.readiness(config, found.repo, env, found)
        report.agent = agent
        if not agent.ok:
            what = f"agent ({config.agent.backend})"
            report.failures.append(Failure(what, agent.detail, agent.fix))
    return report


def require(found: Sprint, echo: Callable[[str], None]) -> Report:
    """Run :func:`check`; ``echo`` each failure as one line and raise, else return the report."""
    report = check(found)
    if not report.failures:
        return report
    for failure in report.failures:
        echo(f"loopd: {failure.line}")
    count = len(report.failures)
    raise LoopdError(
        f"preflight: {count} check(s) failed before anything was changed",
        hint="fix the line(s) above and start again; `loopd doctor` shows every check",
    )


def _git(found: Sprint) -> list[Failure]:
    if shutil.which("git") is None:
        return [Failure("git", "not found on PATH", "install git (apt-get install git)")]
    try:
        gitrepo.require(found.repo)
    except LoopdError as exc:
        return [Failure("git", exc.located, exc.hint or "")]
    return []


def _identity(found: Sprint, config: Config) -> list[Failure]:
    """loopd commits after its steps: git must know who commits, or the first commit fails."""
    if not config.git.commit:
        return []
    done = proc.run(["git", "var", "GIT_COMMITTER_IDENT"], cwd=found.repo, timeout=GIT_TIMEOUT)
    if done.ok:
        return []
    fix = "git config user.name 'Your Name' && git config user.email you@example.com"
    return [Failure("git", "no identity to commit with (user.name/user.email unset)", fix)]


def _config(found: Sprint, report: Report) -> Config | None:
    try:
        return load_config(found.checkout, found).config
    except LoopdError as exc:
        report.failures.append(Failure("config", exc.located, exc.hint or ""))
        return None


def sprint_files(found: Sprint, config: Config | None) -> list[Failure]:
    """The sprint's files as the loop reads them: documents, checklists, state, services.

    The same reading as ``loopd doctor`` (:mod:`loopd.sprint_check`), so a sprint doctor
    passes is one ``run`` starts, and one it fails is refused here before anything changes.
    """
    report = sprint_report(found, config)
    return [Failure(c.name, c.detail, c.fix) for c in report.checks if c.required and not c.ok]
