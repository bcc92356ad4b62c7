"""Can the agent run at all?  Cheap, offline probes each backend answers before a loop starts.

A loop whose agent is missing or logged out fails on its first call, after the
branch, the state file and the run directory exist.  These probes answer in
about a second without a model call: ``claude --version`` and ``claude auth
status``, ``codex login status``, a file check for the command and replay
backends.  ``loopd start``/``run`` (:mod:`loopd.preflight`) and ``loopd doctor``
both ask through :meth:`Backend.readiness <loopd.agents.base.Backend.readiness>`.

A probe that cannot tell (an older CLI without the status command, a probe that
hangs) never blocks the loop: it says so in ``detail`` and the first call decides.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from loopd import proc
from loopd.agents.model import Fault

PROBE_TIMEOUT = 15.0


@dataclass(frozen=True)
class Readiness:
    """What a probe found: ``ok`` or the fault, with how to fix it."""

    ok: bool
    detail: str
    fix: str = ""
    fault: Fault | None = None

    def then(self, later: Readiness) -> Readiness:
        """``later``'s verdict (a probe run once this one passed), both details kept."""
        return Readiness(later.ok, f"{self.detail}, {later.detail}", later.fix, later.fault)


def missing(binary: str, fix: str) -> Readiness:
    return Readiness(False, f"{binary}: not found", fix, Fault.BINARY_MISSING)


def logged_out(detail: str, fix: str) -> Readiness:
    return Readiness(False, detail, fix, Fault.NOT_LOGGED_IN)


def probe(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> proc.Completed | None:
    """Run a probe to completion; None when it cannot start (missing, not executable)."""
    try:
        return proc.run(argv, cwd=cwd, env=env, timeout=PROBE_TIMEOUT)
    except OSError:
        return None


def locate(binary: str, env: Mapping[str, str], cwd: Path) -> str | None:
    """Where ``binary`` is, searched the way the agent is started (its PATH, cwd = repo)."""
    if "/" in binary:
        path = cwd / binary
        return str(path) if path.is_file() and shutil.which(str(path)) else None
    return shutil.which(binary, path=env.get("PATH"))


def version(binary: str, env: Mapping[str, str], cwd: Path, fix: str) -> Readiness:
    """``binary --version``: found and runnable, with the version it prints."""
    where = locate(binary, env, cwd)
    if where is None:
        return missing(binary, fix)
    done = probe([where, "--version"], env, cwd)
    if done is None:
        return missing(binary, fix)
    first = (done.stdout or done.stderr).strip().splitlines()
    said = first[0] if first else "no version output"
    if not done.ok:
        return Readiness(False, f"{where}: --version failed ({said})", fix, Fault.BINARY_MISSING)
    return Readiness(True, f"{where} ({said})")


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:200] if lines else ""
