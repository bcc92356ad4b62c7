"""The environment check, once (gate preflight)."""

from __future__ import annotations

from loopd.engine.context import Context


def run(ctx: Context) -> str:
    if not ctx.state.gate_passed("preflight"):
        ctx.ask("preflight", gate="preflight")
        ctx.update(ctx.state.with_gate("preflight"))
        ctx.commit("preflight", "environment checked")
    return "ok"
