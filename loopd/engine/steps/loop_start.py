"""One pass of the outer loop begins: the safety limit, budgets and the stuck detector.

Only the state changes here, and the transition saves it: killed before
that, the step re-runs from the saved state and decides the same.
"""

from __future__ import annotations

from loopd.engine import stuck
from loopd.engine.context import Context, StopLoop


def run(ctx: Context) -> str:
    state = ctx.stage(ctx.state.evolve(loop_iteration=ctx.state.loop_iteration + 1))
    limit = ctx.config.limits.max_loop_iterations
    passes = ctx.usage().loop_iterations
    if passes > limit:
        raise StopLoop(f"MAX_LOOP_ITERATIONS: {limit} passes of the loop without finishing")
    ctx.check_budgets()
    state, outcome = stuck.evaluate(ctx, state)
    ctx.stage(state)
    return outcome
