"""STEP 6: one test iteration through the test engine.

Structural growth of the plan (SVC/INT/ARCH tasks) past
SIGNIFICANT_TASK_THRESHOLD invalidates the quality gates; every
periodic_vrc_interval-th test iteration runs a periodic VRC.
"""

from __future__ import annotations

from loopd.engine import stuck
from loopd.engine.context import Context
from loopd.state import QUALITY_GATES

STRUCTURAL = frozenset({"SVC", "INT", "ARCH"})


def _structural(ctx: Context) -> int:
    return sum(1 for t in ctx.plan().tasks() if t.kind in STRUCTURAL)


def run(ctx: Context) -> str:
    if not ctx.tests().pending():
        return "done"
    iteration = ctx.state.iteration + 1
    limit = ctx.config.limits.max_iterations
    if limit and iteration > limit:
        ctx.note(f"MAX_ITERATIONS: {limit} test iterations done")
        return "stop"
    structural_before = _structural(ctx)
    ctx.update(stuck.mark_worked(ctx.state.evolve(iteration=iteration)))
    result = ctx.tests_engine.iteration(ctx)
    if result.reason:
        ctx.note(result.reason)
    _structural_growth(ctx, _structural(ctx) - structural_before)
    _periodic_vrc(ctx)
    return result.outcome


def _structural_growth(ctx: Context, grown: int) -> None:
    if grown <= 0:
        return
    total = ctx.state.counter("structural_tasks") + grown
    if total >= ctx.config.limits.significant_task_threshold:
        ctx.note(f"{total} structural tasks added: the quality gates run again")
        ctx.update(ctx.state.without_gates(*QUALITY_GATES).with_counter("structural_tasks", 0))
    else:
        ctx.update(ctx.state.with_counter("structural_tasks", total))


def _periodic_vrc(ctx: Context) -> None:
    interval = ctx.config.limits.periodic_vrc_interval
    iteration = ctx.state.iteration
    due = bool(interval) and iteration > 0 and iteration % interval == 0
    # Recorded, so a step re-run after a restart does not ask twice.
    if due and ctx.state.counter("periodic_vrc_at") != iteration:
        ctx.ask("vrc", vrc="periodic")
        ctx.update(ctx.state.with_counter("periodic_vrc_at", iteration))
