"""loop-v2's user-action rule, through the loop: a ``Task N.N`` that needs a user is marked [U]."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from loopd.checklist import Checklist, DocKind
from loopd.engine import machine
from loopd.engine.spec import load_spec
from loopd.engine.steps.implement import needs_user
from tests.engine.support import context, replay_config, write_script

PLAN = """# Implementation plan

- [ ] **BUILD-001**: Add a manual refresh button to notes.html
- [ ] **Task 2.1**: Connect the admin console
  Requires user to login via the console with the company account.
- [ ] **Task 2.2**: Show when the notes were refreshed
"""
BETA = """# Beta test plan

- [ ] **BT-001**: the page has a refresh button *(cmd: "grep -q refresh notes.html")*
"""
SD = "$LOOPD_SPRINT_DIR"


def rules() -> list[dict[str, Any]]:
    def build(task: str, path: str, text: str) -> dict[str, Any]:
        return {
            "name": task,
            "when": {"prompt": "implement", "task": task},
            "do": [
                {"write": {"path": path, "content": text}},
                {"mark": {"id": task, "doc": "plan", "status": "done"}},
            ],
        }

    return [
        {
            "name": "plan",
            "when": {"prompt": "plan"},
            "do": [{"write": {"path": f"{SD}/IMPLEMENTATION_PLAN.md", "content": PLAN}}],
        },
        build("BUILD-001", "notes.html", '<button id="refresh">Refresh</button>\n'),
        build("Task 2.2", "refreshed.txt", "12:00\n"),
        {
            "name": "beta",
            "when": {"prompt": "beta-plan"},
            "do": [{"write": {"path": f"{SD}/BETA_TEST_PLAN_v1.md", "content": BETA}}],
        },
        {
            "name": "final",
            "when": {"prompt": "vrc", "vrc": "final"},
            "do": [{"print": "VISION: DELIVERED"}],
        },
        {"name": "anything-else", "do": [{"print": "nothing to change"}]},
    ]


def test_a_buildable_task_is_built_and_a_task_needing_a_login_is_left_to_the_user(
    repo: Path, sprint_dir: Path
) -> None:
    notes: list[str] = []
    ctx = context(repo, replay_config(write_script(repo, rules())), notes)
    loop = machine.run(load_spec(), ctx, on_step=lambda _: None)

    assert loop.finished()
    plan = (sprint_dir / "IMPLEMENTATION_PLAN.md").read_text()
    # "manual" in a BUILD task is a feature to build (loop-v2 never marked BUILD tasks [U]).
    assert "- [x] **BUILD-001**: Add a manual refresh button" in plan
    assert (repo / "notes.html").is_file()
    assert "- [U] **Task 2.1**: Connect the admin console" in plan
    assert "- [x] **Task 2.2**" in plan
    implemented = [e["task"] for e in _agent_events(repo) if e["prompt"] == "implement"]
    assert implemented == ["BUILD-001", "Task 2.2"], "Task 2.1 never goes to an agent"
    assert "Task 2.1 needs a user: marked [U]" in notes
    log = subprocess.run(["git", "log", "--format=%s"], cwd=repo, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert "loopd(implement): Task 2.1 needs a user" in log


def _agent_events(repo: Path) -> list[dict[str, Any]]:
    path = repo / ".loopd/s1/events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return [e for e in events if e["type"] == "agent"]


@pytest.mark.parametrize(
    ("plan", "marked"),
    [
        ("- [ ] **Task 2.1**: Connect the console\n  Requires user to login via SSO.\n", True),
        ("- [ ] **Task 3**: Configure the Stripe credentials in the dashboard\n", True),
        (
            "- [ ] **Task 4.2**: Deploy\n\n  Notes: none\n  User action: approve the DNS change\n",
            True,
        ),
        ("- [ ] **Task 5**: Export\n  Step 1\n  Step 2\n  Step 3\n  User must approve\n", False),
        ("- [ ] **Task 6**: Chart\n- [ ] **Task 7**: User must sign the contract\n", False),
        ("- [ ] **BUILD-001**: Add a manual refresh button\n", False),
        ("- [ ] **INT-002**: User must configure credentials (wired by hand)\n", False),
    ],
)
def test_the_user_action_rule_is_loop_v2s(plan: str, marked: bool) -> None:
    # The task line and the 3 lines after it (not past the next item); Task N.N only.
    checklist = Checklist.parse(f"# Plan\n\n{plan}", DocKind.PLAN)
    assert needs_user(checklist.items[0], checklist) is marked
