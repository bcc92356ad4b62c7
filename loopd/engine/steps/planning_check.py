"""STEP 2: plan when there is no plan, or the planning or any quality gate is not passed."""

from __future__ import annotations

from loopd.engine.context import Context
from loopd.state import QUALITY_GATES


def run(ctx: Context) -> str:
    gates = ("planning", *QUALITY_GATES)
    if ctx.sprint.plan.is_file() and all(ctx.state.gate_passed(g) for g in gates):
        return "planned"
    return "plan"
