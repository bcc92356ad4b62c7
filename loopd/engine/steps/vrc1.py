"""VRC-1: is the vision clear enough to plan?  Once per sprint (gate vrc1)."""

from __future__ import annotations

from loopd.engine.context import Context


def run(ctx: Context) -> str:
    if not ctx.state.gate_passed("vrc1"):
        ctx.ask("vrc", vrc="vrc1")
        ctx.update(ctx.state.with_gate("vrc1"))
    return "ok"
