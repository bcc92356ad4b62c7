"""The final state: nothing runs here (declared so the spec checker finds a module)."""

from __future__ import annotations

from loopd.engine.context import Context


def run(ctx: Context) -> str:
    raise RuntimeError("the final state has no step")
