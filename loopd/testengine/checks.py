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
import signal
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
from loopd.testengine.protocol import BLOCKED_FIXABLE, FAIL, NO_VERDICT, PASS, parse_report

# bash: 126 found but not executable, 127 not found: the check cannot run at all.
CANNOT_RUN = frozenset({126, 127})
# A shell reports a child killed by signal N as exit 128+N.
SHELL_SIGNAL = 128


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
    """The observation in a test-runner agent's answer (RESULT / EVIDENCE / REPRO).

    Its verdict is :data:`NO_VERDICT` when the call ended without one (see
    :func:`no_verdict`); the reason is then its one evidence line.
    """
    answer = result.text or result.output
    report = parse_report(answer)
    log = answer + (f"\n--- stderr ---\n{result.stderr}" if result.stderr.strip() else "")
    missing = no_verdict(result, found=report.found)
    if missing:
        log = f"[loopd: no verdict: {missing}]\n{log}"
    return Observation(
        test_id=check.item.id,
        verdict=NO_VERDICT if missing else report.verdict,
        how="agent",
        command=None,
        exit_code=result.returncode,
        timed_out=result.timed_out,
        duration=result.duration,
        lines=(missing,) if missing else redact.lines(report.evidence),
        output=redact(log),
        repro=None if missing or not report.repro else redact(report.repro),
    )


def no_verdict(result: AgentResult, *, found: bool) -> str | None:
    """Why a test-runner call gave no verdict; None when it gave one.

    A verdict is a RESULT line in the answer of a call that ended by itself.
    A call killed at its timeout or by a signal did not finish: whatever it
    printed before is not its conclusion (it may have been about to correct
    itself), so even a RESULT line in it does not count.
    """
    if result.timed_out:
        return f"killed at its timeout after {result.duration:.0f} s"
    died = _signal_name(result.returncode)
    if died:
        return f"crashed: ended by {died}"
    if found:
        return None
    if not (result.text or result.output).strip():
        code = "no exit code" if result.returncode is None else f"exit {result.returncode}"
        return f"ended with no answer ({code})"
    return "no RESULT line in its answer"


def _signal_name(code: int | None) -> str | None:
    """The signal that ended a process: a negative return code, or a shell's 128+N."""
    if code is None:
        return None
    if code < 0:
        number = -code
    elif SHELL_SIGNAL < code < SHELL_SIGNAL + 32:
        number = code - SHELL_SIGNAL
    else:
        return None
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return name if code < 0 else f"{name} (exit {code})"


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
