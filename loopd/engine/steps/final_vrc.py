"""STEP 8: the final vision reality check, and what follows from its verdict.

The verdict is the VRC's own ``VISION: DELIVERED|NOT_DELIVERED`` line.
Without one (a loop-v2 vrc prompt never asked for it), loop-v2's rule over
the VALUE_CHECKLIST.md table decides: delivered when it has rows and every
row is ``[x]`` in every checkbox column; with neither, not delivered.

Delivered -> the loop ends.  Not delivered: pending tasks -> continue;
blocked tasks, some of them BUILD tasks -> implement, continue; blocked
without -> end (partial); no tasks at all -> discover, continue when it
found work, else end.

The branch is checkpointed once decided: a restart after the implement or
discover call follows the same branch, not the one the changed plan suggests.
"""

from __future__ import annotations

import re
from typing import Any

from loopd.checklist import Status
from loopd.engine import stuck
from loopd.engine.context import Context
from loopd.engine.steps.value_discovery import invalidate_planning
from loopd.prompting import as_task
from loopd.values import ValueTable, load_value_table

VERDICT = re.compile(r"^\s*VISION:\s*(DELIVERED|NOT_DELIVERED)\b", re.MULTILINE)
GAP = re.compile(r"^\s*GAP:\s*(.+)$", re.MULTILINE)
IMPLEMENTED = ("BUILD", "INT", "Task")


def parse_verdict(text: str) -> tuple[bool | None, list[str]]:
    """``(delivered, gaps)`` from the final VRC's output; None: it gave no verdict."""
    verdicts = VERDICT.findall(text)
    delivered = verdicts[-1] == "DELIVERED" if verdicts else None
    return delivered, [g.strip() for g in GAP.findall(text)]


def decide(said: bool | None, table: ValueTable) -> tuple[bool, str | None]:
    """Whether the vision is delivered, and what decided it when no VISION line did."""
    if said is not None:
        return said, None
    counts = table.counts()
    if not counts.rows:
        return False, "no VISION line and no value table"
    blocked = f", {counts.blocked} blocked" if counts.blocked else ""
    why = f"no VISION line; value table: {counts.verified} of {counts.rows} rows verified{blocked}"
    return table.delivered, why


def run(ctx: Context) -> str:
    said, gaps = parse_verdict(ctx.ask("vrc", vrc="final").text)
    branch = ctx.remember("branch", lambda: _branch(ctx, said))
    delivered = branch["name"] == "delivered"
    ctx.events.append("vision", delivered=delivered, gaps=gaps, why=branch.get("why"))
    details = [d for d in (branch.get("why"), f"{len(gaps)} gap(s)" if gaps else None) if d]
    verdict = "vision delivered" if delivered else "vision not delivered"
    ctx.note(f"final VRC: {verdict}" + (f" ({'; '.join(details)})" if details else ""))
    if delivered:
        return "finish"
    return _not_delivered(ctx, branch, gaps)


def _branch(ctx: Context, said: bool | None) -> dict[str, Any]:
    """Which way the verdict and the plan send the loop (see the module docstring)."""
    path = ctx.sprint.value_checklist
    table = load_value_table(path, ctx.sprint.relative(path))
    delivered, why = decide(said, table)
    if said is None:
        for warning in table.warnings:  # the table decided: say what in it was odd
            ctx.note(f"warning: {warning}")
    return {**_route(ctx, delivered), "why": why}


def _route(ctx: Context, delivered: bool) -> dict[str, Any]:
    if delivered:
        return {"name": "delivered"}
    plan = ctx.plan()
    if plan.pending(IMPLEMENTED):
        return {"name": "pending"}
    blocked = [t for t in plan.tasks() if t.status is Status.BLOCKED]
    builds = [t.id for t in blocked if t.kind == "BUILD"]
    if builds:
        return {"name": "unblock", "task": builds[0]}
    if blocked:
        return {"name": "partial"}
    return {"name": "discover", "tasks": len(plan.tasks())}


def _not_delivered(ctx: Context, branch: dict[str, Any], gaps: list[str]) -> str:
    name = branch["name"]
    if name == "pending":
        return "continue"
    if name == "partial":
        ctx.note("final VRC: only blocked tasks are left and none is a BUILD task")
        return "finish"
    if name == "unblock":
        return _unblock(ctx, branch["task"])
    ctx.ask("discover", extra={"gaps": gaps})
    found = len(ctx.plan().tasks()) - branch["tasks"]
    if found > 0:
        ctx.note(f"discover: {found} new task(s)")
        invalidate_planning(ctx)
        ctx.commit("discover", "tasks for the gaps the final VRC found")
        return "continue"
    ctx.note("discover: no new tasks")
    return "finish"


def _unblock(ctx: Context, task_id: str) -> str:
    """A blocked BUILD task may hold up everything after it: implement it once more."""
    task = ctx.plan().get(task_id)
    ctx.stage(stuck.mark_worked(ctx.state.evolve(working_on=task_id)))
    fields: dict[str, Any] = {"task": as_task(task)} if task is not None else {}
    ctx.ask("implement", task_id=task_id, **fields)
    ctx.commit("final-vrc", f"implement {task_id} after the final VRC")
    return "continue"
