"""A mark loopd wrote that a stale editor copy wiped is told once, naming the item."""

from __future__ import annotations

import json
from pathlib import Path

from loopd.checklist import Status
from tests.engine.support import context, replay_config, write_script

PLAN = "- [ ] **BUILD-001**: a\n- [ ] **BUILD-002**: b\n- [ ] **BUILD-003**: c\n"


def test_a_stale_copy_saved_over_loopd_s_marks_is_told_once_per_mark(repo: Path) -> None:
    sprint_dir = repo / "docs/sprints/s1"
    sprint_dir.mkdir(parents=True)
    plan = sprint_dir / "IMPLEMENTATION_PLAN.md"
    plan.write_text(PLAN)
    notes: list[str] = []
    script = write_script(repo, [{"name": "any", "do": [{"result": {"text": "ok"}}]}])
    ctx = context(repo, replay_config(script), notes)
    stale = plan.read_text()  # an editor opens the plan
    ctx.edit_plan(lambda c: c.set_status("BUILD-001", Status.BLOCKED))
    ctx.edit_plan(lambda c: c.set_status("BUILD-002", Status.USER))
    ctx.edit_plan(lambda c: c.reset("BUILD-002"))  # loopd's own reset is no lost mark
    assert notes == []

    plan.write_text(stale)  # ... and saves its stale copy over loopd's marks
    for _ in range(3):
        assert [item.id for item in ctx.plan().pending()] == ["BUILD-001", "BUILD-002", "BUILD-003"]
    assert notes == [
        "warning: docs/sprints/s1/IMPLEMENTATION_PLAN.md:1: BUILD-001: loopd marked it [B] and"
        " it is [ ] now (an editor saving a stale copy loses loopd's marks): going on with what"
        " the file says"
    ]
    events = (repo / ".loopd/s1/events.jsonl").read_text().splitlines()
    assert sum('"mark_lost":true' in line for line in events) == 1

    # Marks the file still has, and items marked later, say nothing.
    ctx.edit_plan(lambda c: c.set_status("BUILD-003", Status.BLOCKED))
    plan.write_text(plan.read_text().replace("- [ ] **BUILD-002**", "- [x] **BUILD-002**"))
    ctx.plan()
    assert len(notes) == 1 and json.loads(events[-1])["type"] == "note"
