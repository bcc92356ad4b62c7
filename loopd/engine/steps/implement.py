"""STEP 4: build the next task (BUILD > INT > Task).

A task whose text says a user must act is marked [U] and skipped.  A task
that makes no progress MAX_IMPL_NO_PROGRESS times in a row is marked [B] and
the loop falls through to testing, as loop-v2 did.  What the plan and the
no-progress count were before the call is checkpointed, so a restart after
the call judges it against the same starting point.
"""

from __future__ import annotations

import re
from typing import Any

from loopd.checklist import Checklist, Item, Status
from loopd.engine import fingerprint, stuck
from loopd.engine.context import Context
from loopd.prompting import as_task

USER_ACTION = re.compile(r"user must|manual|configure.*credentials", re.IGNORECASE)


def _done_and_total(plan: Checklist) -> tuple[int, int]:
    tasks = fingerprint.tasks(plan)
    return tasks[Status.DONE], sum(tasks.values())


def run(ctx: Context) -> str:
    # Which task, and where the plan stood, survive a restart: re-run after the
    # task was marked, the step still finishes that task's story.
    start = ctx.remember("start", lambda: _start(ctx))
    task = ctx.plan().get(start["task"]) if start["task"] else None
    if task is None:
        ctx.note("all implementation tasks complete")
        return "done"
    if USER_ACTION.search(task.block):
        ctx.edit_plan(lambda c: c.set_status(task.id, Status.USER))
        ctx.note(f"{task.id} needs a user: marked [U]")
        ctx.commit("implement", f"{task.id} needs a user")
        return "continue"
    return _implement(ctx, task, start)


def _start(ctx: Context) -> dict[str, Any]:
    plan = ctx.plan()
    task = plan.next_task()
    done, total = _done_and_total(plan)
    same = task is not None and ctx.state.last_task == task.id
    count = ctx.state.task_no_progress if same else 0
    return {"task": task.id if task else None, "done": done, "total": total, "count": count}


def _implement(ctx: Context, task: Item, before: dict[str, Any]) -> str:
    ctx.stage(stuck.mark_worked(ctx.state.evolve(working_on=task.id)))
    ctx.ask("implement", task=as_task(task), task_id=task.id)
    done_after, total_after = _done_and_total(ctx.plan())
    if done_after > before["done"]:
        ctx.commit("implement", f"{task.id} done")
        ctx.update(ctx.state.evolve(last_task=None, task_no_progress=0))
        return "continue"
    if total_after > before["total"]:
        ctx.note(f"{task.id}: {total_after - before['total']} new task(s) planned")
        ctx.update(ctx.state.evolve(last_task=None, task_no_progress=0))
        return "continue"
    return _no_progress(ctx, task, before["count"] + 1)


def _no_progress(ctx: Context, task: Item, count: int) -> str:
    ctx.update(ctx.state.evolve(last_task=task.id, task_no_progress=count))
    limit = ctx.config.limits.max_impl_no_progress
    if count < limit:
        ctx.note(f"{task.id}: no progress ({count}/{limit})")
        return "continue"
    ctx.edit_plan(lambda c: c.set_status(task.id, Status.BLOCKED))
    ctx.update(ctx.state.evolve(last_task=None, task_no_progress=0))
    ctx.note(f"{task.id}: no progress {limit} times: marked [B]; proceeding to testing")
    ctx.commit("implement", f"{task.id} blocked after {limit} attempts without progress")
    return "done"
