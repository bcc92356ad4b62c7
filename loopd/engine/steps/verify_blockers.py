"""STEP 1.5: when the value checklist has blockers, ask whether any is resolved.

loop-v2 asks whenever VALUE_CHECKLIST.md says ``BLOCKED`` anywhere (its
table's status column, a note); loopd's checklist form (``- [B] **VAL-N**``)
counts too.
"""

from __future__ import annotations

from loopd.engine import fingerprint
from loopd.engine.context import Context
from loopd.errors import LoopdError
from loopd.values import load_value_table


def has_blockers(ctx: Context) -> bool:
    """Whether verify-blockers has anything to re-check."""
    path = ctx.sprint.value_checklist
    if load_value_table(path, ctx.sprint.relative(path)).has_blockers:
        return True
    try:
        return bool(ctx.values().blocked_values())
    except LoopdError:
        return False  # not readable as a checklist: the table's warnings say why


def _hash_if_blocked(ctx: Context) -> str | None:
    if not has_blockers(ctx):
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
