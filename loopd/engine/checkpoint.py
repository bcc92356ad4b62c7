"""What a step must not do twice when the loop restarts in its state.

A restarted loop re-runs the step it was in from the top.  Whatever that step
already did must not happen again: an agent call that finished (its cost is
counted, its changes are on disk) and the "before" snapshots a step compares
against after the call (a gate compares the plan's hash before and after its
agent; taking "before" again after the restart would see the agent's changes
as the starting point).  Both are recorded here, in the ``checkpoint`` key of
LOOP_STATE.md's machine block, in the same save as the counters the call
changed, and every transition clears them.

Entries belong to the state they were recorded in; a checkpoint found under
another state (the file was edited by hand, say) is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from loopd.agents import AgentRequest, AgentResult
from loopd.state import LoopState

KEY = "checkpoint"
ASK = "ask."
COMMIT = "commit."
_REQUEST_FIELDS = ("prompt", "role", "task", "test", "attempt", "vrc")


def entries(state: LoopState) -> dict[str, Any]:
    """The entries recorded during the current state's step (none after a transition)."""
    raw = state.extra.get(KEY)
    if not isinstance(raw, Mapping) or raw.get("step") != state.step:
        return {}
    found = raw.get("entries")
    return dict(found) if isinstance(found, Mapping) else {}


def with_entries(
    state: LoopState, changes: Mapping[str, Any], dropped: Iterable[str] = ()
) -> LoopState:
    """``state`` with ``changes`` recorded and the ``dropped`` keys forgotten."""
    gone = frozenset(dropped)
    merged = {k: v for k, v in {**entries(state), **changes}.items() if k not in gone}
    return state.evolve(extra={**state.extra, KEY: {"step": state.step, "entries": merged}})


def cleared(state: LoopState) -> LoopState:
    """``state`` without a checkpoint (what every transition saves)."""
    if KEY not in state.extra:
        return state
    return state.evolve(extra={k: v for k, v in state.extra.items() if k != KEY})


def _identity(request: AgentRequest) -> dict[str, Any]:
    values = (
        request.prompt_name,
        request.role,
        request.task_id,
        request.test_id,
        request.attempt,
        request.vrc,
    )
    return dict(zip(_REQUEST_FIELDS, values, strict=True))


def record(request: AgentRequest, result: AgentResult, repo: Path) -> dict[str, Any]:
    """What is kept of a finished agent call to answer its repeat after a restart."""
    return {
        **_identity(request),
        "ok": result.ok,
        "text": result.text,
        "returncode": result.returncode,
        "timed_out": result.timed_out,
        "duration": round(result.duration, 3),
        "cost_usd": result.cost_usd,
        "prompt_file": _relative(result.prompt_file, repo),
        "output_file": _relative(result.output_file, repo),
    }


def matches(recorded: Mapping[str, Any], request: AgentRequest) -> bool:
    """Whether ``recorded`` is the call ``request`` asks for again."""
    identity = _identity(request)
    return all(recorded.get(name) == identity[name] for name in _REQUEST_FIELDS)


def replayed(recorded: Mapping[str, Any], repo: Path) -> AgentResult:
    """The recorded call's result, as the runner returned it (output read back from its file)."""
    output_file = repo / str(recorded["output_file"])
    try:
        output = output_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        output = str(recorded.get("text") or "")
    return AgentResult(
        ok=bool(recorded.get("ok")),
        text=str(recorded.get("text") or ""),
        output=output,
        stderr="",
        returncode=recorded.get("returncode"),
        timed_out=bool(recorded.get("timed_out")),
        duration=float(recorded.get("duration") or 0.0),
        cost_usd=recorded.get("cost_usd"),
        session_id=None,
        num_turns=None,
        permission_denials=(),
        fault=None,
        prompt_file=repo / str(recorded["prompt_file"]),
        output_file=output_file,
        attempts=1,
    )


def _relative(path: Path, repo: Path) -> str:
    try:
        return str(path.resolve().relative_to(repo.resolve()))
    except ValueError:
        return str(path)
