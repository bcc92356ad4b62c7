"""Value discovery: re-check blockers, look for value not yet delivered, re-plan.

The stuck ladder's first rung, and STEP 7's answer to more blocked than
passed tests.
"""

from __future__ import annotations

from loopd.engine.context import Context
from loopd.state import PLANNING_GATES

# Re-planning must not repeat the one-time checks.
_KEEP = ("vrc1", "preflight")


def discover(ctx: Context) -> None:
    ctx.ask("verify-blockers")
    ctx.ask("discover-value")
    replan = [g for g in PLANNING_GATES if g not in _KEEP]
    ctx.update(ctx.state.without_gates(*replan))
    ctx.commit("discovery", "value discovery")


def run(ctx: Context) -> str:
    discover(ctx)
    return "ok"
