"""STEP 6: one test iteration through the test engine.

Structural growth of the plan (SVC/INT/ARCH tasks) past
SIGNIFICANT_TASK_THRESHOLD invalidates the quality gates; every
periodic_vrc_interval-th test iteration runs a periodic VRC.  The
iteration number and the counts it is judged against are checkpointed, so
a restart mid-iteration repeats the same iteration rather than a new one.
"""

from __future__ import annotations

from typing import Any

from loopd.engine import fingerprint, stuck
from loopd.engine.context import Context
from loopd.state import QUALITY_GATES

STRUCTURAL = frozenset({"SVC", "INT", "ARCH"})
STRUCTURAL_TASKS = "structural_tasks"


def _structural(ctx: Context) -> int:
    return sum(fingerprint.statuses(ctx.plan(), STRUCTURAL).values())


def _start(ctx: Context) -> dict[str, Any]:
    return {
        "pending": bool(ctx.tests().pending_tests()),
        "iteration": ctx.state.iteration + 1,
        "structural": _structural(ctx),
        "counted": ctx.state.counter(STRUCTURAL_TASKS),
    }


def run(ctx: Context) -> str:
    start = ctx.remember("start", lambda: _start(ctx))
    if not start["pending"]:
        return "done"
    iteration = start["iteration"]
    limit = ctx.config.limits.max_iterations
    if limit and iteration > limit:
        ctx.note(f"MAX_ITERATIONS: {limit} test iterations done")
        return "stop"
    ctx.update(stuck.mark_worked(ctx.state.evolve(iteration=iteration)))
    result = ctx.tests_engine.iteration(ctx)
    if result.reason:
        ctx.note(result.reason)
    grown = _structural(ctx) - start["structural"]
    if grown > 0:
        _structural_growth(ctx, start["counted"] + grown)
    _periodic_vrc(ctx)
    return result.outcome


def _structural_growth(ctx: Context, total: int) -> None:
    if total >= ctx.config.limits.significant_task_threshold:
        ctx.note(f"{total} structural tasks added: the quality gates run again")
        ctx.update(ctx.state.without_gates(*QUALITY_GATES).with_counter(STRUCTURAL_TASKS, 0))
    else:
        ctx.update(ctx.state.with_counter(STRUCTURAL_TASKS, total))


def _periodic_vrc(ctx: Context) -> None:
    interval = ctx.config.limits.periodic_vrc_interval
    iteration = ctx.state.iteration
    due = bool(interval) and iteration > 0 and iteration % interval == 0
    # Recorded, so a step re-run after a restart does not ask twice.
    if due and ctx.state.counter("periodic_vrc_at") != iteration:
        ctx.ask("vrc", vrc="periodic")
        ctx.update(ctx.state.with_counter("periodic_vrc_at", iteration))
