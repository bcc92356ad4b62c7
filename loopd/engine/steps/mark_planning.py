"""The planning gate is passed; the plan is committed."""

from __future__ import annotations

from loopd.engine.context import Context


def run(ctx: Context) -> str:
    ctx.update(ctx.state.with_gate("planning"))
    ctx.commit("planning", "plan passed the quality gates")
    return "ok"
