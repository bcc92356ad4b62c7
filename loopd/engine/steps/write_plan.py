"""Write IMPLEMENTATION_PLAN.md when there is none, and commit it."""

from __future__ import annotations

from loopd.engine.context import Context, StopLoop


def run(ctx: Context) -> str:
    if ctx.sprint.plan.is_file():
        return "ok"
    ctx.ask("plan")
    if not ctx.sprint.plan.is_file():
        raise StopLoop(f"the plan agent did not write {ctx.sprint.relative(ctx.sprint.plan)}")
    ctx.commit("planning", "implementation plan")
    return "ok"
