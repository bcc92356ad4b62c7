"""The one stuck detector (loop-v2 had two that fought: defect 6).

One progress fingerprint per outer iteration that did work (implementing or
testing): tasks done and pending, tests passed, blocked and pending.  When it
has not changed for MAX_NO_PROGRESS such iterations, one ladder escalates:
value discovery first, then force-blocking the item being worked, then
stopping the loop INCOMPLETE, naming what was stuck.

Any change of the fingerprint restarts the count, but only real progress --
more tasks done or tests passed than ever before -- takes the ladder back
down: work that is only added (discovery finding tasks) or given up on
(items blocked) must not keep a loop that achieves nothing alive forever.
"""

from __future__ import annotations

from loopd.engine import fingerprint
from loopd.engine.context import Context, StopLoop
from loopd.state import LoopState

WORKED = "worked"
NO_PROGRESS = "no_progress"
LEVEL = "stuck_level"
BEST = "progress_best"  # the most tasks done + tests passed seen so far
LADDER = ("stuck", "force_block")


def mark_worked(state: LoopState) -> LoopState:
    """Steps that do the sprint's work call this, so their iteration is judged."""
    return state.with_counter(WORKED, 1)


def evaluate(ctx: Context, state: LoopState) -> tuple[LoopState, str]:
    """The stuck verdict at the top of an outer iteration: ``ok`` or a ladder rung."""
    progress = fingerprint.progress(ctx.plan(), ctx.tests())
    key, achieved = progress.key(), progress.tasks_done + progress.tests_passed
    previous = state.fingerprints.get("progress")
    worked = state.counter(WORKED) > 0
    state = state.with_fingerprint("progress", key).with_counter(WORKED, 0)
    if achieved > state.counter(BEST):
        state = state.with_counter(BEST, achieved).with_counter(LEVEL, 0)
    if not worked or previous is None:
        return state, "ok"
    if key != previous:
        return state.with_counter(NO_PROGRESS, 0), "ok"
    count = state.counter(NO_PROGRESS) + 1
    if count < ctx.config.limits.max_no_progress:
        return state.with_counter(NO_PROGRESS, count), "ok"
    return _escalate(ctx, state.with_counter(NO_PROGRESS, 0))


def _escalate(ctx: Context, state: LoopState) -> tuple[LoopState, str]:
    level = state.counter(LEVEL)
    if level >= len(LADDER):
        item = state.working_on or "no single item"
        ctx.stage(state)  # saved with the stop reason
        raise StopLoop(
            f"stuck: no progress after value discovery and force-blocking (working on {item})"
        )
    ctx.note(f"no progress for {ctx.config.limits.max_no_progress} iterations: {LADDER[level]}")
    return state.with_counter(LEVEL, level + 1), LADDER[level]
