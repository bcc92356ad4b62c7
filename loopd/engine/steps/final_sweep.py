"""The final regression sweep; regressions re-enter the loop in this process.

loop-v2 exec'd itself here and lost every in-memory counter (defect 8);
loopd takes a transition back to the top of the loop, state intact.
"""

from __future__ import annotations

from loopd.checklist import Status
from loopd.engine import fingerprint, intents
from loopd.engine.context import Context


def run(ctx: Context) -> str:
    # The decision is what the sweep found in this step, also before a kill:
    # a restarted sweep sees its regressed tests pending, not regressed.
    if fingerprint.tests(ctx.tests())[Status.DONE]:
        ctx.tests_engine.sweep(ctx, "completion")
    else:
        ctx.note("final sweep: no passing tests to verify")
    found = {str(p["test"]) for p in intents.performed(ctx, intents.REGRESSED)}
    pending = {t.id for t in ctx.tests().pending_tests()}
    if found & pending:
        ctx.note(f"final sweep: {len(found)} regression(s): back into the loop")
        return "regressions"
    return "clean"
