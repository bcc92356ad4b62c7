"""STEP 1.5: when the value checklist has BLOCKED items, ask whether any is resolved."""

from __future__ import annotations

from loopd.engine import fingerprint
from loopd.engine.context import Context


def _hash_if_blocked(ctx: Context) -> str | None:
    if not ctx.values().blocked_values():
        return None
    return fingerprint.files(ctx.sprint.value_checklist)


def run(ctx: Context) -> str:
    before = ctx.remember("values", lambda: _hash_if_blocked(ctx))
    if before is None:
        return "ok"
    ctx.ask("verify-blockers")
    if fingerprint.files(ctx.sprint.value_checklist) != before:
        ctx.note("verify-blockers: some blockers resolved")
        ctx.commit("blockers", "blockers re-checked")
    return "ok"
