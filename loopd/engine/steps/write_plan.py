"""Write IMPLEMENTATION_PLAN.md when there is none, and commit it."""

from __future__ import annotations

from loopd.engine.context import Context, StopLoop


def run(ctx: Context) -> str:
    # Whether there was a plan when the step began: re-run after the agent
    # wrote it, the step still commits it.
    if not ctx.remember("missing", lambda: not ctx.sprint.plan.is_file()):
        return "ok"
    ctx.ask("plan")
    if not ctx.sprint.plan.is_file():
        raise StopLoop(f"the plan agent did not write {ctx.sprint.relative(ctx.sprint.plan)}")
    ctx.commit("planning", "implementation plan")
    return "ok"
