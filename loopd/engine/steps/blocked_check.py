"""STEP 7: all tests ran; more blocked than passed -> value discovery."""

from __future__ import annotations

from loopd.checklist import Status
from loopd.engine import fingerprint
from loopd.engine.context import Context
from loopd.engine.steps.value_discovery import discover


def _pending(ctx: Context) -> int:
    return len(ctx.plan().pending(("BUILD", "INT", "Task"))) + len(ctx.tests().pending_tests())


def _counts(ctx: Context) -> tuple[int, int]:
    tests = fingerprint.tests(ctx.tests())
    return tests[Status.DONE], tests[Status.BLOCKED]


def run(ctx: Context) -> str:
    # Decided on the counts the step began with: discovery may unblock tests.
    passed, blocked = ctx.remember("counts", lambda: _counts(ctx))
    if blocked <= passed:
        return "ok"
    ctx.note(f"{blocked} tests blocked, {passed} passed: value discovery")
    discover(ctx)
    return "continue" if _pending(ctx) else "ok"
