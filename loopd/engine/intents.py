"""Recoverable units: a multi-write effect recorded before it is made, rolled forward after a kill.

A step's effect is often several durable writes: a test marked ``[x]`` and its
FIX task closed and its attempts cleared; a regressed test put back to
``[ ]``, its evidence kept and a REG task opened.  A ``kill -9`` between two of
them leaves a world no decision expects (a passed test with its FIX task
still open forever).  So such an effect is an *intent*: :func:`perform`
first saves ``{op, payload}`` in the step's checkpoint (LOOP_STATE.md, one
atomic write), then applies it, then saves it as done.  The step re-run
after a restart first rolls every pending intent forward (:func:`roll_forward`)
and then finds each done one already done, so the effect happens once.

An op's ``apply`` must be idempotent (set, never increment: it may run again
after a kill in its middle) and take everything it needs from its payload
(decided before the intent was recorded), never from counts it changes.
Ops are registered by the module that owns them (:func:`op`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from loopd.engine import checkpoint
from loopd.errors import LoopdError

if TYPE_CHECKING:
    from loopd.engine.context import Context

PREFIX = "intent."
# A regression check put a passing test back to pending (the final sweep decides on these).
REGRESSED = "test-regressed"
Apply = Callable[["Context", Mapping[str, Any]], None]
_OPS: dict[str, Apply] = {}


def op(name: str) -> Callable[[Apply], Apply]:
    """Register ``apply`` as the op ``name`` (decorator)."""

    def register(apply: Apply) -> Apply:
        _OPS[name] = apply
        return apply

    return register


def perform(ctx: Context, name: str, ident: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """Apply op ``name`` once in this step for ``ident``; the payload that was applied.

    ``ident`` tells this effect from the step's others of the same op (a test
    id).  Done already (by a run killed later in this step), nothing is
    applied again and the payload recorded then is returned: the re-run
    decides on what happened, not on a second decision.
    """
    key = f"{PREFIX}{name}:{ident}"
    found = checkpoint.entries(ctx.state).get(key)
    if isinstance(found, Mapping) and found.get("done"):
        recorded: Mapping[str, Any] = found.get("payload") or {}
        return recorded
    entry = {"op": name, "payload": dict(payload), "done": False}
    ctx.update(checkpoint.with_entries(ctx.state, {key: entry}))
    _apply(ctx, key, entry)
    return payload


def roll_forward(ctx: Context) -> list[str]:
    """Complete the intents a killed run recorded but may not have applied; their keys."""
    pending = {
        key: entry
        for key, entry in checkpoint.entries(ctx.state).items()
        if key.startswith(PREFIX) and isinstance(entry, Mapping) and not entry.get("done")
    }
    for key, entry in pending.items():
        _apply(ctx, key, entry)
    return list(pending)


def performed(ctx: Context, name: str) -> list[Mapping[str, Any]]:
    """The payloads of op ``name`` done in this step (also by a run killed in it)."""
    return [
        entry["payload"]
        for key, entry in checkpoint.entries(ctx.state).items()
        if key.startswith(f"{PREFIX}{name}:") and isinstance(entry, Mapping) and entry.get("done")
    ]


def _apply(ctx: Context, key: str, entry: Mapping[str, Any]) -> None:
    name = str(entry.get("op"))
    apply = _OPS.get(name)
    if apply is None:
        raise LoopdError(f"LOOP_STATE.md: unknown recorded effect {name!r} (loopd too old?)")
    apply(ctx, entry.get("payload") or {})
    ctx.update(checkpoint.with_entries(ctx.state, {key: {**entry, "done": True}}))
