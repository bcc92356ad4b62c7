"""Completion: the exit code from the test plan (0 full, 2 partial, 1 incomplete)."""

from __future__ import annotations

from loopd.checklist import Status
from loopd.engine import fingerprint
from loopd.engine.context import Context

FULL, INCOMPLETE, PARTIAL = 0, 1, 2


def exit_code(ctx: Context) -> int:
    tests = fingerprint.tests(ctx.tests())
    pending, blocked = tests[Status.PENDING], tests[Status.BLOCKED] + tests[Status.USER]
    if pending:
        return INCOMPLETE
    return PARTIAL if blocked else FULL


def outcome(code: int) -> str:
    """``full success (exit 0)`` and the like, for notes and commit messages."""
    words = {FULL: "full success", PARTIAL: "partial success", INCOMPLETE: "incomplete"}
    return f"{words.get(code, 'stopped')} (exit {code})"


def run(ctx: Context) -> str:
    code = exit_code(ctx)
    ctx.note(f"completion: {outcome(code)}")
    ctx.update(ctx.state.evolve(exit_code=code))
    return "ok"
