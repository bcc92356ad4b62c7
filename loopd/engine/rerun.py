"""While the daemon idles after a loop: what a file change means for the sprint.

The watcher (loopd.watch) says what changed; this decides what to do:

- LOOP_STATE.md edited by hand -> reload it (when it is still there: a full
  success archives it, and a fresh state would restart the sprint);
- VISION / PRD / ARCHITECTURE changed -> the planning gates (VRC-1, the
  quality gates, planning, VRC-2) are invalidated and the loop runs again;
  preflight, service readiness and the beta test plan keep their results,
  as loop-v2's invalidate_all_planning did;
- a plan or the beta test plan gained pending items -> the loop runs again;
- source files changed -> the tests with commands run again (no agent, the
  last failed first); the loop runs again only if one regressed;
- prompt templates changed -> recorded; the next agent call renders them.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopd.engine.context import Context
from loopd.state import QUALITY_GATES, load_state
from loopd.watch import Change, Trigger

REPLAN_GATES = ("vrc1", *QUALITY_GATES, "planning", "vrc2")


@dataclass(frozen=True)
class Decision:
    """Whether the loop runs again, and why (one line per reason)."""

    resume: bool
    reasons: tuple[str, ...] = ()


def decide(ctx: Context, changes: list[Change]) -> Decision:
    """Act on ``changes`` (already debounced, one per trigger) and say whether to resume."""
    by = {change.trigger: change for change in changes}
    for change in changes:
        ctx.events.append(
            "watch_trigger", trigger=change.trigger.value, paths=list(change.paths[:20])
        )
    reasons: list[str] = []
    if Trigger.STATE in by and ctx.sprint.state_file.exists():
        ctx.state = load_state(ctx.sprint.state_file)
        ctx.note("LOOP_STATE.md was edited: reloaded")
    if Trigger.DOCS in by:
        ctx.update(ctx.state.without_gates(*REPLAN_GATES))
        reasons.append(f"{_names(by[Trigger.DOCS])} changed: planning runs again")
    if Trigger.PLAN_PENDING in by:
        reasons.append(f"{_names(by[Trigger.PLAN_PENDING])} gained pending items")
    if Trigger.SOURCE in by and not reasons:
        reasons += _regressions(ctx, by[Trigger.SOURCE])
    if Trigger.PROMPTS in by:
        ctx.note(
            f"prompt templates changed ({_names(by[Trigger.PROMPTS])}): the next call uses them"
        )
    return Decision(bool(reasons), tuple(reasons))


def _regressions(ctx: Context, change: Change) -> list[str]:
    outcome = ctx.tests_engine.sweep(ctx, "watch")
    if not outcome.regressions:
        ctx.note(f"{_names(change)} changed: {outcome.checked} test(s) with commands still pass")
        return []
    return [f"{_names(change)} changed and {', '.join(outcome.regressions)} regressed"]


def _names(change: Change) -> str:
    shown = ", ".join(change.paths[:3])
    more = len(change.paths) - 3
    return shown + (f" and {more} more" if more > 0 else "")


def reopen(ctx: Context, final: str, *, first: str) -> None:
    """Make a finished (or stopped) loop runnable again, in the same process, state intact.

    A loop that ended goes back to the top (``first``); one that stopped
    part-way resumes the step it stopped in.
    """
    step = first if ctx.state.step in (final, None) else ctx.state.step
    ctx.update(ctx.state.evolve(step=step, phase=step, exit_code=None, stop_reason=None))
