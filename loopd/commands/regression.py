"""``loopd regression <sprint> [--json]``: re-check the passing tests that have a command, now.

Every passing test with a ``*(cmd: ...)*``, an ``*(E2E: ...)*`` or a learned
REPRO command is re-run as a subprocess (in parallel, no agent call); tests
only an agent can check are listed as not checked.  A regression puts the
test back to ``[ ]`` and opens REG-<test>, as in the loop, and the check is
appended to REGRESSION_LOG.md.  Nothing is committed and no service is
started: the tests run against the repo and services as they are.  Exit 1
when something regressed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from loopd import daemon
from loopd.agents import AgentRequest, AgentResult
from loopd.clock import SystemClock
from loopd.config import load_config
from loopd.engine.context import Context
from loopd.engine.ports import ServiceSnapshot
from loopd.engine.steps import completion
from loopd.errors import LoopdError
from loopd.events import EventLog
from loopd.gitseam import GitSeam
from loopd.sprint import Sprint, locate
from loopd.testengine import EvidenceTestEngine, SweepReport

TRIGGER = "manual"


class _NoAgents:
    """This command never calls an agent; a call would be a bug, so it is refused loudly."""

    def call(self, request: AgentRequest) -> AgentResult:
        raise LoopdError(f"`loopd regression` makes no agent calls (asked: {request.describe()})")


class NoServices:
    """No services are started or stopped: tests run against what is running."""

    def start_all(self) -> ServiceSnapshot:
        return ServiceSnapshot()

    def check(self) -> ServiceSnapshot:
        return ServiceSnapshot()

    def stop_all(self) -> None:
        return None


def regression(*, repo: Path, sprints_root: str, sprint: str, as_json: bool) -> int:
    """Run a regression check of ``sprint`` on demand; 1 when a test regressed."""
    found = locate(repo.resolve(), sprints_root, sprint)
    _not_running(found)
    config = load_config(found.checkout, found).config
    # On demand, nothing is committed: the changes are left for the user (or the loop).
    config = dataclasses.replace(config, git=dataclasses.replace(config.git, commit=False))
    clock = SystemClock()
    events = EventLog(found.events_log, clock)
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    engine = EvidenceTestEngine(run_dir=found.runtime / "runs" / f"regression-{stamp}")
    ctx = Context(
        sprint=found,
        config=config,
        # After a full success LOOP_STATE.md is archived; its learned REPRO commands are not.
        state=completion.starting_state(found),
        agents=_NoAgents(),
        git=GitSeam(found.repo, config.git, events, clock),
        services=NoServices(),
        tests_engine=engine,
        events=events,
        clock=clock,
        report=_quiet,  # what a note says, the printed report says too
    )
    report = engine.report(ctx, TRIGGER)
    if as_json:
        click.echo(json.dumps(as_dict(report), indent=2))
    else:
        _print(report)
    return 1 if report.regressions else 0


def _not_running(found: Sprint) -> None:
    # The running loop owns the sprint's state and checklists, and checks regressions itself.
    holder = daemon.running(found)
    if holder is not None:
        who = f"pid {holder.pid}" if holder.pid else "another process"
        raise LoopdError(
            f"sprint {found.name} is running ({who}): its loop checks for regressions itself",
            hint=f"stop it first to check by hand: loopd stop {found.name}",
        )


def as_dict(report: SweepReport) -> dict[str, Any]:
    """The JSON form of a regression check."""
    regressed = {r.test_id: r.record for r in report.regressions}
    return {
        "trigger": report.trigger,
        "time": report.time,
        "commit": report.commit,
        "checked": [
            {
                "id": check.item.id,
                "how": "repro" if check.learned else check.how,
                "command": observation.command,
                "verdict": observation.verdict,
                "passed": observation.passed,
                "timed_out": observation.timed_out,
                "duration": round(observation.duration, 3),
                "evidence": regressed[check.item.id].path if check.item.id in regressed else None,
                "short": None if observation.passed else observation.short(),
            }
            for check, observation in report.checked
        ],
        "unchecked": list(report.unchecked),
        "regressions": list(regressed),
    }


def _quiet(message: str) -> None:
    return None


def _print(report: SweepReport) -> None:
    if not report.checked:
        click.echo("no passing test has a command to re-run")
    for check, observation in report.checked:
        how = "repro" if check.learned else check.how
        result = "ok" if observation.passed else f"REGRESSED: {observation.short()}"
        click.echo(f"{check.item.id:<10} {how:<6} {observation.duration:6.1f}s  {result}")
    if report.unchecked:
        click.echo(f"not checked (agent-only): {', '.join(report.unchecked)}")
    found = len(report.regressions)
    click.echo(f"{len(report.checked)} checked, {found} regression(s)")
