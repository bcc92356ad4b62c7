"""What a check's result does to the test plan, the implementation plan and the state.

loop-v2's result handling: PASS marks the test ``[x]``, resets its attempts
and the consecutive-blocked count.  Anything else counts an attempt; at
MAX_TEST_FIX_ATTEMPTS the test is ``[B]``, otherwise a task is opened in the
plan -- FIX-<test> for FAIL, ARCH-<test> for BLOCKED_FIXABLE, FEAT-<test>
for BLOCKED_EXTERNAL -- whose text carries the one-line evidence, so the plan
in git says what was wrong.  A re-test after a fix that still says
BLOCKED_EXTERNAL blocks at once: the fixer confirmed only outsiders can help.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loopd.checklist import Checklist, Item, Status
from loopd.engine import intents
from loopd.engine.context import Context
from loopd.testengine.checks import Check
from loopd.testengine.evidence import EvidenceRecord, Observation, one_line
from loopd.testengine.protocol import BLOCKED_EXTERNAL, BLOCKED_FIXABLE, FAIL
from loopd.testengine.session import Session

TASK_KIND = {FAIL: "FIX", BLOCKED_FIXABLE: "ARCH", BLOCKED_EXTERNAL: "FEAT"}
TASK_TEXT = {
    "FIX": "{test} fails: {short}",
    "ARCH": "{test} cannot run (fixable here): {short}",
    "FEAT": "{test} needs something external: {short}",
    "REG": "{test} regressed ({trigger} check at {sha}): {short}",
}
TEST_TASK_KINDS = ("FIX", "FEAT", "ARCH", "REG")
CONSECUTIVE_BLOCKED = "consecutive_blocked"


@dataclass(frozen=True)
class Failure:
    """A test that failed a check and is to be fixed."""

    check: Check
    record: EvidenceRecord

    @property
    def item(self) -> Item:
        return self.check.item

    @property
    def task_id(self) -> str:
        return task_id(self.record.verdict, self.item.id)


def task_id(verdict: str, test_id: str) -> str:
    """The plan task a failure of ``test_id`` opens (FIX-BT-007 ...)."""
    return f"{TASK_KIND.get(verdict, 'FIX')}-{test_id}"


def passed(ctx: Context, test_id: str, counters: Mapping[str, int] | None = None) -> None:
    """The test is ``[x]``, its tasks done, its attempts and evidence cleared: one intent.

    ``counters`` are set in the same intent (values decided by the caller).
    """
    payload = {"test": test_id, "counters": dict(counters or {})}
    intents.perform(ctx, "test-passed", test_id, payload)


@intents.op("test-passed")
def _apply_passed(ctx: Context, payload: Mapping[str, Any]) -> None:
    test_id = str(payload["test"])
    ctx.edit_tests(lambda c: c.set_status(test_id, Status.DONE))
    _close_tasks(ctx, test_id, Status.DONE)
    state = ctx.state.with_attempts(test_id, 0).with_counter(CONSECUTIVE_BLOCKED, 0)
    for name, value in dict(payload.get("counters") or {}).items():
        state = state.with_counter(str(name), int(value))
    evidence = {k: v for k, v in state.evidence.items() if k != test_id}
    ctx.update(state.evolve(evidence=evidence))


def failed(
    session: Session, check: Check, observation: Observation, *, attempt: int, after_fix: bool
) -> Failure:
    """Record ``attempt`` (decided before the check) and the evidence; it may be ``blocked``.

    The attempt is set, not counted up: a check re-run after a kill is the
    same attempt, not the next one.
    """
    ctx = session.ctx
    test_id = check.item.id
    trigger = "retest" if after_fix else "test"
    record = session.store(observation, role="test", attempt=attempt, trigger=trigger)
    ctx.update(ctx.state.with_attempts(test_id, attempt).with_evidence(test_id, record.path))
    return Failure(check, record)


def refreshed(session: Session, check: Check, observation: Observation) -> Failure:
    """New evidence for a still-failing test, without counting an attempt."""
    ctx = session.ctx
    test_id = check.item.id
    attempt = ctx.state.attempts(test_id)
    record = session.store(observation, role="test", attempt=attempt, trigger="recheck")
    ctx.update(ctx.state.with_evidence(test_id, record.path))
    return Failure(check, record)


def exhausted(ctx: Context, failure: Failure, *, after_fix: bool) -> bool:
    """Whether ``failure`` ends the test's attempts (limit reached, or external after a fix)."""
    limit = ctx.config.limits.max_test_fix_attempts
    external_again = after_fix and failure.record.verdict == BLOCKED_EXTERNAL
    return failure.record.attempt >= limit or external_again


def block(ctx: Context, test_id: str) -> int:
    """Mark the test and its open tasks ``[B]``; the consecutive-blocked count after it."""
    count = ctx.state.counter(CONSECUTIVE_BLOCKED) + 1
    done = intents.perform(ctx, "test-blocked", test_id, {"test": test_id, "count": count})
    return int(done["count"])


@intents.op("test-blocked")
def _apply_blocked(ctx: Context, payload: Mapping[str, Any]) -> None:
    test_id = str(payload["test"])
    ctx.edit_tests(lambda c: c.set_status(test_id, Status.BLOCKED))
    _close_tasks(ctx, test_id, Status.BLOCKED)
    ctx.update(ctx.state.with_counter(CONSECUTIVE_BLOCKED, int(payload["count"])))


def for_human(ctx: Context, test_id: str) -> None:
    """Mark the test and its open tasks ``[U]``: a person looks before anything runs it again."""
    ctx.edit_tests(lambda c: c.set_status(test_id, Status.USER))
    _close_tasks(ctx, test_id, Status.USER)


def open_task(ctx: Context, task: str, text: str, details: tuple[str, ...] = ()) -> bool:
    """Append ``task`` to the plan, or make it pending again; True when it was not open."""
    opened: list[bool] = []

    def change(plan: Checklist) -> Checklist:
        existing = plan.get(task)
        opened.append(existing is None or existing.status is not Status.PENDING)
        if existing is None:
            return plan.append_task(task, text, details)
        return plan.reset(task)

    ctx.edit_plan(change)
    return opened[0]


def task_text(kind: str, test_id: str, short: str, **more: str) -> str:
    """The one-line text of a test's task, with its evidence."""
    return one_line(TASK_TEXT[kind].format(test=test_id, short=short, **more), 300)


def opens(ctx: Context, failure: Failure) -> bool:
    """Whether :func:`open_failure_task` will open a task (it is not pending now)."""
    existing = ctx.plan().get(failure.task_id)
    return existing is None or existing.status is not Status.PENDING


def open_failure_task(ctx: Context, failure: Failure) -> str | None:
    """Open the failure's task; its id when it was newly opened.

    Under ``policy.withhold_evidence`` the task says only that the test fails:
    the plan is in every fixer's reach, so it must not carry the evidence.
    """
    kind = TASK_KIND.get(failure.record.verdict, "FIX")
    details: tuple[str, ...]
    if ctx.config.policy.withhold_evidence:
        text, details = f"{failure.item.id}: {failure.record.verdict}", ()
    else:
        text = task_text(kind, failure.item.id, failure.record.short)
        details = (f"Evidence: {failure.record.path}",)
    return failure.task_id if open_task(ctx, failure.task_id, text, details) else None


def _close_tasks(ctx: Context, test_id: str, status: Status) -> None:
    ids = [f"{kind}-{test_id}" for kind in TEST_TASK_KINDS]

    def change(plan: Checklist) -> Checklist:
        for task in ids:
            item = plan.get(task)
            if item is not None and item.status is Status.PENDING:
                plan = plan.set_status(task, status)
        return plan

    if any(ctx.plan().get(task) for task in ids):
        ctx.edit_plan(change)
