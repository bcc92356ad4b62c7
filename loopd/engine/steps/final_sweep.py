"""The final regression sweep; regressions re-enter the loop in this process.

loop-v2 exec'd itself here and lost every in-memory counter (defect 8);
loopd takes a transition back to the top of the loop, state intact.
"""

from __future__ import annotations

from loopd.checklist import Status
from loopd.engine import fingerprint
from loopd.engine.context import Context


def run(ctx: Context) -> str:
    if not fingerprint.tests(ctx.tests())[Status.DONE]:
        ctx.note("final sweep: no passing tests to verify")
        return "clean"
    result = ctx.tests_engine.sweep(ctx, "completion")
    if result.regressions and ctx.tests().pending_tests():
        ctx.note(f"final sweep: {len(result.regressions)} regression(s): back into the loop")
        return "regressions"
    return "clean"
