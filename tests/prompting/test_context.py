"""Building a prompt context from a sprint and its parsed checklists."""

from __future__ import annotations

from loopd.checklist import Checklist, DocKind
from loopd.prompting import PromptContext, as_task, as_test, related_tasks
from loopd.sprint import Sprint

PLAN = """# Plan

- [x] **BUILD-1**: Scaffold the API
- [ ] **Task 2**: Login endpoint
  - Done when: BT-7 passes
- [ ] **FIX-BT-7**: Make login return 200
- [ ] **Task 3**: Logout (BT-70)
"""
BETA = """- [ ] **BT-7**: Login works
  - *(E2E: "login flow")*
  - *(cmd: "pytest -q tests/test_login.py")*
"""


def test_paths_are_relative_to_the_repo(sprint: Sprint) -> None:
    context = PromptContext.for_sprint(sprint)
    assert (context.sprint, context.sprint_dir) == ("s1", "docs/sprints/s1")
    assert context.paths.plan == "docs/sprints/s1/IMPLEMENTATION_PLAN.md"
    assert context.paths.state == "docs/sprints/s1/LOOP_STATE.md"
    assert context.variables()["paths"] is context.paths


def test_task_and_test_come_from_checklist_items() -> None:
    task = as_task(Checklist.parse(PLAN, DocKind.PLAN).items[1])
    assert (task.id, task.kind, task.text) == ("Task 2", "Task", "Login endpoint")
    assert task.block == "- [ ] **Task 2**: Login endpoint\n  - Done when: BT-7 passes\n"
    test = as_test(Checklist.parse(BETA, DocKind.TEST_PLAN).items[0])
    assert (test.id, test.kind, test.e2e, test.cmd) == (
        "BT-7",
        "BT",
        "login flow",
        "pytest -q tests/test_login.py",
    )


def test_related_tasks_name_the_test_but_not_a_longer_id() -> None:
    items = Checklist.parse(PLAN, DocKind.PLAN).items
    assert related_tasks(items, "BT-7") == (
        "- [ ] **Task 2**: Login endpoint",
        "- [ ] **FIX-BT-7**: Make login return 200",
    )
