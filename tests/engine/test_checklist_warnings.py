"""The loop notes each checklist warning once per run, in its output and its events."""

from __future__ import annotations

import json
from pathlib import Path

from tests.engine.support import context, replay_config, write_script


def test_each_checklist_warning_is_noted_once_per_run(repo: Path) -> None:
    sprint_dir = repo / "docs/sprints/s1"
    sprint_dir.mkdir(parents=True)
    plan = sprint_dir / "IMPLEMENTATION_PLAN.md"
    plan.write_text("- [x] **REG-BT-001**: a\n- [ ] **REG-BT-001**: a\n")
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text("- [~] **BT-001**: odd\n")
    notes: list[str] = []
    ctx = context(
        repo,
        replay_config(write_script(repo, [{"name": "any", "do": [{"result": {"text": "ok"}}]}])),
        notes,
    )

    for _ in range(3):
        ctx.plan(), ctx.tests(), ctx.values()
    assert notes == [
        "warning: docs/sprints/s1/IMPLEMENTATION_PLAN.md:2: REG-BT-001 appears again (first on "
        "line 1): one item, pending while any of its lines is [ ]; a marker change writes all "
        "of them",
        "warning: docs/sprints/s1/BETA_TEST_PLAN_v1.md:1: unknown marker [~] on BT-001: kept as "
        "it is; the item is neither pending, done nor blocked "
        "(loopd writes [ ] pending, [x] done, [B] blocked, [U] needs a user)",
    ]
    events = (repo / ".loopd/s1/events.jsonl").read_text().splitlines()
    noted = [json.loads(e) for e in events if '"checklist_warning"' in e]
    assert [e["message"] for e in noted] == notes

    plan.write_text(plan.read_text() + "- [ ] **BUILD-001**: new\n")  # same warning, new text
    ctx.plan()
    assert len(notes) == 2
    ctx.begin_run()  # a new run (the daemon re-running) tells it again
    ctx.plan()
    assert len(notes) == 3 and notes[2] == notes[0]
