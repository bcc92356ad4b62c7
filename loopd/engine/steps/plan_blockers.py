"""verify-blockers over the fresh plan; commit the BUILD tasks it creates."""

from __future__ import annotations

from loopd.engine.context import Context


def _build_tasks(ctx: Context) -> int:
    return sum(1 for item in ctx.plan().items if item.kind == "BUILD")


def run(ctx: Context) -> str:
    before = ctx.remember("build_tasks", lambda: _build_tasks(ctx))
    ctx.ask("verify-blockers")
    created = _build_tasks(ctx) - before
    if created > 0:
        ctx.commit("planning", f"{created} BUILD task(s) for blockers")
    return "ok"
