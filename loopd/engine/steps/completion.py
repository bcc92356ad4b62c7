"""Completion: the exit code from the test plan (0 full, 2 partial, 1 incomplete).

The tests are the beta plan's tests as the test engine runs them (any non-task item:
SEC-001, EDGE-001 ...): pending ones make it incomplete.  A test with an unknown marker
(``[~]``) was neither run nor passed, so at best the sprint is a partial success.
"""

from __future__ import annotations

from loopd.checklist import Status
from loopd.engine import fingerprint
from loopd.engine.context import Context

FULL, INCOMPLETE, PARTIAL = 0, 1, 2


def exit_code(ctx: Context) -> int:
    tests = fingerprint.tests(ctx.tests())
    pending = tests[Status.PENDING]
    blocked = tests[Status.BLOCKED] + tests[Status.USER] + tests[Status.OTHER]
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
