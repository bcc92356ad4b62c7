"""STEP 4: build the next task (BUILD > INT > Task).

A ``Task N.N`` whose text says a user must act is marked [U] and skipped
(loop-v2's user-action rule, see :func:`needs_user`).  A task
that makes no progress MAX_IMPL_NO_PROGRESS times in a row is marked [B] and
the loop falls through to testing, as loop-v2 did.  What the plan and the
no-progress count were before the call is checkpointed, so a restart after
the call judges it against the same starting point.
"""

from __future__ import annotations

import re
from itertools import takewhile
from typing import Any

from loopd.checklist import Checklist, Item, Status
from loopd.engine import fingerprint, stuck
from loopd.engine.context import Context
from loopd.prompting import as_task

# loop-v2's user-action rule (loop.sh): these words, in a Task's line or the 3 lines after it.
USER_ACTION = re.compile(
    r"user must|user action|manual|configure.*credentials|login.*via|requires user", re.IGNORECASE
)
USER_ACTION_LINES = 4
# Only IDs loop-v2's rule could mark: "Task 2", "Task 2.1" (not "Task 3a", never BUILD-/INT-).
USER_ACTION_ID = re.compile(r"Task [0-9][0-9.]*")
# Where another part of the plan begins, so its words are not this task's.
_NEXT_PART = re.compile(r"- \[|#|---")


def needs_user(task: Item, plan: Checklist) -> bool:
    """True when ``task`` is one only a user can do, by loop-v2's rule.

    The rule is loop-v2's: a ``Task N.N`` item whose line or the 3 lines after
    it say "user must", "user action", "manual", "configure ... credentials",
    "login ... via" or "requires user" (any case).  BUILD and INT tasks are
    never marked ("Add a manual refresh button" is buildable).  Unlike
    loop-v2, the window stops at the next item, heading or rule, so a
    neighbour's words do not mark this task.
    """
    if task.kind != "Task" or not USER_ACTION_ID.fullmatch(task.id):
        return False
    first = task.line - 1
    lines = plan.text.splitlines()[first : first + USER_ACTION_LINES]
    window = lines[:1] + list(takewhile(lambda line: not _NEXT_PART.match(line), lines[1:]))
    return any(USER_ACTION.search(line) for line in window)


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
    if needs_user(task, ctx.plan()):
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
