"""STEP 8: the final vision reality check, and what follows from its verdict.

Delivered -> the loop ends.  Not delivered (or no VISION line: never a
silent guess): pending tasks -> continue; blocked tasks with BUILD tasks ->
implement, continue; blocked without -> end (partial); no tasks at all ->
discover, continue when it found work, else end.
"""

from __future__ import annotations

import re

from loopd.checklist import Status
from loopd.engine import stuck
from loopd.engine.context import Context
from loopd.state import PLANNING_GATES

VERDICT = re.compile(r"^\s*VISION:\s*(DELIVERED|NOT_DELIVERED)\b", re.MULTILINE)
GAP = re.compile(r"^\s*GAP:\s*(.+)$", re.MULTILINE)
IMPLEMENTED = ("BUILD", "INT", "Task")


def parse_verdict(text: str) -> tuple[bool, list[str]]:
    """``(delivered, gaps)`` from the final VRC's output."""
    verdicts = VERDICT.findall(text)
    delivered = bool(verdicts) and verdicts[-1] == "DELIVERED"
    return delivered, [g.strip() for g in GAP.findall(text)]


def run(ctx: Context) -> str:
    delivered, gaps = parse_verdict(ctx.ask("vrc", vrc="final").text)
    ctx.events.append("vision", delivered=delivered, gaps=gaps)
    if delivered:
        ctx.note("final VRC: vision delivered")
        return "finish"
    ctx.note("final VRC: vision not delivered" + (f" ({len(gaps)} gap(s))" if gaps else ""))
    return _not_delivered(ctx, gaps)


def _not_delivered(ctx: Context, gaps: list[str]) -> str:
    plan = ctx.plan()
    if plan.pending(IMPLEMENTED):
        return "continue"
    blocked = [t for t in plan.tasks() if t.status is Status.BLOCKED]
    if blocked:
        if any(t.kind == "BUILD" for t in plan.tasks()):
            ctx.update(stuck.mark_worked(ctx.state))
            ctx.ask("implement")
            ctx.commit("final-vrc", "implement after the final VRC")
            return "continue"
        return "finish"
    before = len(plan.tasks())
    ctx.ask("discover", extra={"gaps": gaps})
    if len(ctx.plan().tasks()) > before:
        ctx.update(
            ctx.state.without_gates(*[g for g in PLANNING_GATES if g not in ("vrc1", "preflight")])
        )
        ctx.commit("discover", "tasks for the gaps the final VRC found")
        return "continue"
    return "finish"
