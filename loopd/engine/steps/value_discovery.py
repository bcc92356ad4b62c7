"""Value discovery: re-check blockers, look for value not yet delivered, re-plan.

The stuck ladder's first rung, and STEP 7's answer to more blocked than
passed tests.
"""

from __future__ import annotations

from loopd.engine.context import Context
from loopd.state import PLANNING_GATES

# loop-v2's invalidate_planning: planning runs again, but not its one-time checks.
REPLAN_GATES = tuple(g for g in PLANNING_GATES if g not in ("vrc1", "preflight"))


def invalidate_planning(ctx: Context) -> None:
    """The plan changed under the loop: the quality gates, planning and VRC-2 run again."""
    ctx.update(ctx.state.without_gates(*REPLAN_GATES))


def discover(ctx: Context) -> None:
    """verify-blockers and discover-value, then re-plan."""
    ctx.ask("verify-blockers")
    ctx.ask("discover-value")
    invalidate_planning(ctx)
    ctx.commit("discovery", "value discovery")


def run(ctx: Context) -> str:
    discover(ctx)
    return "ok"
