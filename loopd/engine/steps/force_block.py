"""The stuck ladder's second rung: mark the item being worked [B]."""

from __future__ import annotations

from loopd.checklist import Status
from loopd.engine.context import Context


def run(ctx: Context) -> str:
    item = ctx.state.working_on
    if item is None:
        ctx.note("stuck, but no single item is being worked: nothing to force-block")
        return "ok"
    if ctx.tests().get(item) is not None:
        ctx.edit_tests(lambda c: c.set_status(item, Status.BLOCKED))
    elif ctx.plan().get(item) is not None:
        ctx.edit_plan(lambda c: c.set_status(item, Status.BLOCKED))
    ctx.note(f"stuck on {item}: marked it blocked")
    ctx.update(ctx.state.evolve(working_on=None))
    ctx.commit("stuck", f"{item} blocked: no progress")
    return "ok"
