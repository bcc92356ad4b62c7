"""Regression checks: passing tests re-checked by command, agents only where nothing else can.

Triggers: ``interval`` (every REGRESSION_CHECK_INTERVAL fixes), ``spot``
(SPOT_CHECK_PROBABILITY per round), ``completion`` (the final sweep),
``manual`` (``loopd regression``) and ``watch`` (the idle daemon saw source
files change: commands only, the tests that failed last first, so the
answer to "did my edit break something?" comes as soon as it can).  Every
passing test with a command (cmd, E2E, learned REPRO) is re-run as a
subprocess, in parallel, with no agent call.  Passing tests only an agent
can check are spot-checked: on ``spot`` and ``completion``,
SPOT_CHECK_COUNT of them picked at random.  ``manual`` and ``watch`` never
call an agent.  ``policy.agent_regression`` is loop-v2's way: every
passing test through the agent (a random SPOT_CHECK_COUNT on ``spot``).

A regression puts the test back to ``[ ]`` with its attempts reset, opens
REG-<test> with the one-line evidence, and is logged.  An agent re-check
that ended without a verdict is no regression (see :mod:`noverdict`).  Each
check appends one entry to REGRESSION_LOG.md in the sprint directory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopd import fsio
from loopd.checklist import Status
from loopd.engine import intents
from loopd.engine.context import Context
from loopd.events import read_events
from loopd.testengine import outcomes
from loopd.testengine.checks import Check, plan_check
from loopd.testengine.evidence import EvidenceRecord, Observation
from loopd.testengine.protocol import NO_VERDICT
from loopd.testengine.session import Session

TRIGGERS = ("interval", "spot", "completion", "manual", "watch")
# Triggers that never call an agent, whatever the policy: a person is waiting.
COMMANDS_ONLY = frozenset({"manual", "watch"})
LOG_TITLE = "# Regression log\n"


@dataclass(frozen=True)
class Regression:
    test_id: str
    record: EvidenceRecord


@dataclass(frozen=True)
class SweepReport:
    """What one regression check did."""

    trigger: str
    time: str
    commit: str | None
    checked: tuple[tuple[Check, Observation], ...]
    unchecked: tuple[str, ...]
    regressions: tuple[Regression, ...] = field(default_factory=tuple)
    # What became of each checked test whose agent gave no verdict (not a regression).
    no_verdict: tuple[str, ...] = field(default_factory=tuple)

    def kinds(self) -> Counter[str]:
        """Checked tests by how they ran: cmd, e2e, repro, agent."""
        return Counter("repro" if c.learned else c.how for c, _ in self.checked)


def choose(session: Session, trigger: str) -> tuple[list[Check], list[str]]:
    """The checks this trigger runs, and the passing tests it leaves unchecked."""
    ctx = session.ctx
    passing = [t for t in ctx.tests().tests() if t.status is Status.DONE]
    checks = [plan_check(t, ctx.config, session.repo, ctx.state.test_commands) for t in passing]
    count = ctx.config.limits.spot_check_count
    if ctx.config.policy.agent_regression and trigger not in COMMANDS_ONLY:
        agent_checks = [Check(c.item, "agent", None, session.repo) for c in checks]
        if trigger == "spot":
            agent_checks = _sample(session, agent_checks, count)
        picked = {c.item.id for c in agent_checks}
        return agent_checks, [c.item.id for c in checks if c.item.id not in picked]
    commands = [c for c in checks if c.deterministic]
    agent_only = [c for c in checks if not c.deterministic]
    sampled = _sample(session, agent_only, count) if trigger in ("spot", "completion") else []
    picked = {c.item.id for c in sampled}
    failed = last_failed(ctx.events.path) if trigger == "watch" else {}
    order = {c.item.id: (-failed.get(c.item.id, -1), n) for n, c in enumerate(checks)}
    chosen = sorted(commands + sampled, key=lambda c: order[c.item.id])
    return chosen, [c.item.id for c in agent_only if c.item.id not in picked]


def _chosen(session: Session, trigger: str) -> tuple[list[Check], list[str]]:
    """``choose``, decided once per step in the loop: a sweep re-run after a kill checks the
    same tests (its regressed ones among them, now pending) and reports the same."""
    ctx = session.ctx
    if trigger in COMMANDS_ONLY:  # outside the loop's steps: nothing to resume
        return choose(session, trigger)

    def decide() -> dict[str, Any]:
        chosen, unchecked = choose(session, trigger)
        return {"chosen": [[c.item.id, c.how] for c in chosen], "unchecked": unchecked}

    decided = ctx.remember(f"sweep.{trigger}", decide)
    checks = []
    for test_id, how in decided["chosen"]:
        check = session.plan(test_id)
        if check is not None:
            agent = how == "agent" and check.how != "agent"
            checks.append(Check(check.item, "agent", None, session.repo) if agent else check)
    return checks, list(decided["unchecked"])


def last_failed(events: Path) -> dict[str, int]:
    """Test id -> position of its latest failed check in the events log (higher: later)."""
    return {
        event["test_id"]: n
        for n, event in enumerate(read_events(events))
        if event.get("type") == "test" and event.get("verdict") != "PASS" and "test_id" in event
    }


def _sample(session: Session, checks: list[Check], count: int) -> list[Check]:
    if len(checks) <= count:
        return checks
    picked = set(session.rng.sample(range(len(checks)), count))
    return [c for n, c in enumerate(checks) if n in picked]


def sweep(session: Session, trigger: str) -> SweepReport:
    """Run a regression check and handle what it finds (see the module doc)."""
    ctx = session.ctx
    chosen, unchecked = _chosen(session, trigger)
    commit = session.changes.head()
    observed = session.observe(chosen, role="regression", attempts={}) if chosen else []
    regressions = []
    for check, observation in zip(chosen, observed, strict=True):
        if observation.verdict == NO_VERDICT:
            continue  # not a regression: noverdict marked it [U], or the loop stops
        if observation.passed:
            session.log(observation, trigger)
            session.learn(check, observation)
        else:
            regressions.append(_regressed(session, observation, trigger, commit))
    report = SweepReport(
        trigger=trigger,
        time=session.now(),
        commit=commit,
        checked=tuple(zip(chosen, observed, strict=True)),
        unchecked=tuple(unchecked),
        regressions=tuple(regressions),
        no_verdict=tuple(
            session.verdictless[o.test_id] for o in observed if o.verdict == NO_VERDICT
        ),
    )
    if chosen:
        append_log(ctx, report)
        ctx.events.append(
            "regression",
            trigger=trigger,
            checked=len(chosen),
            regressions=[r.test_id for r in regressions],
        )
    return report


def _regressed(
    session: Session, observation: Observation, trigger: str, commit: str | None
) -> Regression:
    ctx = session.ctx
    test_id = observation.test_id
    record = session.store(observation, role="regression", attempt=1, trigger=trigger)
    sha = (commit or "no commit")[:10]
    text = outcomes.task_text("REG", test_id, record.short, trigger=trigger, sha=sha)
    payload = {"test": test_id, "evidence": record.path, "task": text}
    intents.perform(ctx, intents.REGRESSED, test_id, payload)
    ctx.note(f"regression: {test_id} ({trigger} check): {record.short}")
    return Regression(test_id, record)


@intents.op(intents.REGRESSED)
def _apply_regressed(ctx: Context, payload: Mapping[str, Any]) -> None:
    """The test back to ``[ ]`` with no attempts, its evidence kept, REG-<test> opened."""
    test_id, evidence = str(payload["test"]), str(payload["evidence"])
    ctx.edit_tests(lambda c: c.reset(test_id))
    state = ctx.state.with_attempts(test_id, 0)
    others = {k: v for k, v in state.evidence.items() if k != test_id}
    ctx.update(state.evolve(evidence={**others, test_id: (evidence,)}))
    outcomes.open_task(ctx, f"REG-{test_id}", str(payload["task"]), (f"Evidence: {evidence}",))


def log_entry(report: SweepReport) -> str:
    """The REGRESSION_LOG.md entry of ``report``."""
    kinds = report.kinds()
    by_kind = ", ".join(f"{kinds[k]} {k}" for k in ("cmd", "e2e", "repro", "agent") if kinds[k])
    lines = [
        f"## {report.time}: {report.trigger} check at {(report.commit or 'no commit')[:10]}",
        "",
        f"- Checked: {len(report.checked)} ({by_kind})",
    ]
    if report.unchecked:
        lines.append(f"- Not checked (agent-only, not sampled): {', '.join(report.unchecked)}")
    if report.no_verdict:
        lines.append(f"- No verdict (not a regression): {'; '.join(report.no_verdict)}")
    if not report.regressions:
        lines.append("- Regressions: none")
    else:
        lines.append(f"- Regressions: {len(report.regressions)}")
        lines += [
            f"  - **{r.test_id}**: {r.record.short} (evidence: `{r.record.path}`)"
            for r in report.regressions
        ]
    return "\n".join(lines) + "\n"


def append_log(ctx: Context, report: SweepReport) -> None:
    """Append ``report``'s entry to REGRESSION_LOG.md, keeping every byte already there."""
    path = ctx.sprint.regression_log
    with fsio.locked(ctx.sprint.files_lock):
        before = fsio.read_text(path) if path.exists() else LOG_TITLE
        if before and not before.endswith("\n"):
            before += "\n"
        fsio.atomic_write(path, f"{before}\n{log_entry(report)}")
