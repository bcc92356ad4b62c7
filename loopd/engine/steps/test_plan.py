"""STEP 5: generate BETA_TEST_PLAN_v1.md (gate test_plan_generated)."""

from __future__ import annotations

from loopd.engine.context import Context, StopLoop


def run(ctx: Context) -> str:
    if ctx.sprint.beta_plan.is_file() and ctx.state.gate_passed("test_plan_generated"):
        return "ok"
    ctx.ask("beta-plan")
    if not ctx.sprint.beta_plan.is_file():
        raise StopLoop(
            f"the beta-plan agent did not write {ctx.sprint.relative(ctx.sprint.beta_plan)}"
        )
    counts = ctx.tests().counts()
    summary = ", ".join(f"{sum(c.values())} {kind}" for kind, c in sorted(counts.items()))
    ctx.note(f"beta test plan: {summary or 'no tests'}")
    ctx.update(ctx.state.with_gate("test_plan_generated"))
    ctx.commit("test-plan", f"beta test plan ({summary or 'no tests'})")
    return "ok"
