"""loop-v2 Phase 0: the approved documents must exist."""

from __future__ import annotations

from loopd import sprint as sprints
from loopd.engine.context import Context


def run(ctx: Context) -> str:
    for warning in sprints.validate(ctx.sprint):
        ctx.note(f"warning: {warning}")
    return "ok"
