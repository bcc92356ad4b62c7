"""Running one check of one test: a command, an E2E test, or the test-runner agent.

Which way a test runs, in order: its ``*(cmd: "...")*`` (``bash -c`` from
the repo root), its ``*(E2E: "name")*`` (``tests.e2e_command`` in
``tests.e2e_test_dir``, only when that is set: loop-v2 ran Playwright only
with ``E2E_TEST_DIR``), the REPRO command loopd learned from an earlier
agent run, else the test-runner agent (whose prompt holds the test block,
E2E annotation included).  Commands run through
:mod:`loopd.proc` (own process group, the timeout, output captured) and are
thread-safe; an agent check goes through :meth:`Context.ask`, so budgets and
cost accounting apply.  Everything an observation holds is redacted.
"""

from __future__ import annotations

import os
import shlex
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from loopd import proc
from loopd.agents import AgentResult
from loopd.checklist import Item
from loopd.config import Config
from loopd.prompting.context import HowRan
from loopd.redact import Redactor
from loopd.testengine import junit
from loopd.testengine.evidence import Observation
from loopd.testengine.protocol import BLOCKED_FIXABLE, FAIL, PASS, parse_report

# bash: 126 found but not executable, 127 not found: the check cannot run at all.
CANNOT_RUN = frozenset({126, 127})
NO_RESULT_NOTE = "[loopd: the test runner's answer has no RESULT line, so this counts as FAIL]"


@dataclass(frozen=True)
class Check:
    """How one test is checked: ``command`` is None for the agent path."""

    item: Item
    how: HowRan
    command: str | None
    cwd: Path
    learned: bool = False

    @property
    def deterministic(self) -> bool:
        return self.command is not None


def plan_check(item: Item, config: Config, repo: Path, learned: Mapping[str, str]) -> Check:
    """The way ``item`` is checked (see the module doc)."""
    if item.cmd:
        return Check(item, "cmd", item.cmd, repo)
    e2e_dir = config.tests.e2e_test_dir
    if item.e2e and e2e_dir:
        command = config.tests.e2e_command.replace("{name}", shlex.quote(item.e2e))
        return Check(item, "e2e", command, repo / e2e_dir)
    if item.id in learned:
        return Check(item, "cmd", learned[item.id], repo, learned=True)
    return Check(item, "agent", None, repo)


@dataclass(frozen=True)
class CommandRunner:
    """Runs command checks: timeout, kill grace, redaction, where JUnit reports go."""

    timeout: float
    kill_grace: float
    redact: Redactor
    scratch: Path
    # The base environment of every command (loop-v2's exported variables; see exported.py).
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def run(self, check: Check) -> Observation:
        """Run ``check``'s command and observe it."""
        assert check.command is not None, "an agent check has no command"
        if not check.cwd.is_dir():
            return self._cannot_run(check, f"the directory {check.cwd} does not exist")
        offered = self.scratch / f"junit-{uuid.uuid4().hex}.xml"
        since = time.time() - 1.0  # mtimes are coarse on some filesystems
        done = proc.run(
            ["bash", "-c", check.command],
            cwd=check.cwd,
            env=_environment(self.environ, check.item.id, offered),
            timeout=self.timeout,
            escalation=proc.Escalation.term_then_kill(self.kill_grace),
        )
        lines: list[str] = []
        if not done.ok:
            lines = junit.failure_messages(
                junit.find_reports(check.command, check.cwd, offered, since)
            )
        offered.unlink(missing_ok=True)
        return Observation(
            test_id=check.item.id,
            verdict=_command_verdict(done),
            how=check.how,
            command=self.redact(check.command),
            exit_code=None if done.timed_out else done.returncode,
            timed_out=done.timed_out,
            duration=done.duration,
            lines=self.redact.lines(lines),
            output=self.redact(done.output),
        )

    def _cannot_run(self, check: Check, why: str) -> Observation:
        return Observation(
            test_id=check.item.id,
            verdict=BLOCKED_FIXABLE,
            how=check.how,
            command=self.redact(check.command or ""),
            exit_code=None,
            timed_out=False,
            duration=0.0,
            lines=(f"cannot run the check: {why}",),
            output="",
        )


def _environment(base: Mapping[str, str], test_id: str, offered: Path) -> dict[str, str]:
    env = dict(base)
    env.pop("CLAUDECODE", None)
    env["LOOPD_TEST_ID"] = test_id
    env["LOOPD_JUNIT_XML"] = str(offered)
    env.setdefault("PLAYWRIGHT_JUNIT_OUTPUT_NAME", str(offered))
    return env


def _command_verdict(done: proc.Completed) -> str:
    if done.ok:
        return PASS
    if not done.timed_out and done.returncode in CANNOT_RUN:
        return BLOCKED_FIXABLE
    return FAIL


def observe_agent(check: Check, result: AgentResult, redact: Redactor) -> Observation:
    """The observation in a test-runner agent's answer (RESULT / EVIDENCE / REPRO)."""
    answer = result.text or result.output
    report = parse_report(answer)
    log = answer + (f"\n--- stderr ---\n{result.stderr}" if result.stderr.strip() else "")
    if not report.found:
        log = f"{NO_RESULT_NOTE}\n{log}"
    return Observation(
        test_id=check.item.id,
        verdict=FAIL if result.timed_out and report.verdict == PASS else report.verdict,
        how="agent",
        command=None,
        exit_code=result.returncode,
        timed_out=result.timed_out,
        duration=result.duration,
        lines=redact.lines(report.evidence),
        output=redact(log),
        repro=redact(report.repro) if report.repro else None,
    )


def run_all(
    checks: list[Check],
    commands: CommandRunner,
    agent: Callable[[Check], Observation],
    parallelism: int,
) -> list[Observation]:
    """Observe every check, in the order given.

    Commands run on up to ``parallelism`` threads while agent checks run one
    at a time on this thread (the context is not shared across threads).
    """
    observed: dict[int, Observation] = {}
    command_checks = [(n, c) for n, c in enumerate(checks) if c.deterministic]
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = {n: pool.submit(commands.run, c) for n, c in command_checks}
        for n, check in enumerate(checks):
            if not check.deterministic:
                observed[n] = agent(check)
        for n, future in futures.items():
            observed[n] = future.result()
    return [observed[n] for n in range(len(checks))]
