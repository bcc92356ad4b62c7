"""A quality gate (and VRC-2): re-run while it changes the plan, up to MAX_GATE_RETRIES.

A gate passes when a run changes neither the plan nor the value checklist.
The retry count is in the state, so a restarted loop does not start over;
the documents' hash and the count before the call are checkpointed, so a
restart after the call judges it as the first run would have.
"""

from __future__ import annotations

from typing import Any

from loopd.engine import fingerprint
from loopd.engine.context import Context


def _documents(ctx: Context) -> str:
    return fingerprint.files(ctx.sprint.plan, ctx.sprint.value_checklist)


def run(ctx: Context, *, gate: str) -> str:
    if ctx.state.gate_passed(gate):
        return "passed"
    retries_key = f"gate_retries.{gate}"
    before: dict[str, Any] = ctx.remember(
        "before", lambda: {"hash": _documents(ctx), "retries": ctx.state.counter(retries_key)}
    )
    if gate == "vrc2":
        ctx.ask("vrc", vrc="vrc2", gate=gate)
    else:
        ctx.ask(gate, gate=gate)
    if _documents(ctx) == before["hash"]:
        ctx.note(f"gate {gate}: passed")
        return _pass(ctx, gate, retries_key)
    retries = before["retries"] + 1
    if retries >= ctx.config.limits.max_gate_retries:
        ctx.note(f"gate {gate}: still changing the plan after {retries} runs; passing it anyway")
        return _pass(ctx, gate, retries_key)
    ctx.note(f"gate {gate}: issues found and fixed, re-running ({retries})")
    ctx.update(ctx.state.with_counter(retries_key, retries))
    return "retry"


def _pass(ctx: Context, gate: str, retries_key: str) -> str:
    ctx.update(ctx.state.with_gate(gate).with_counter(retries_key, 0))
    return "passed"
