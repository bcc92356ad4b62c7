"""Checklists as real loop-v2 repos hold them: read, with one warning per oddity, never refused."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from loopd.checklist import Checklist, DocKind, Status, edit, is_item_id, sprint_warnings
from loopd.checklist.taskids import odd_task
from loopd.sprint import Sprint
from tests.test_checklist_fuzz import _as_dict, must, read


def doc(text: str, kind: DocKind = DocKind.PLAN) -> Checklist:
    return Checklist.parse(textwrap.dedent(text).lstrip("\n"), kind, Path("PLAN.md"))


REGRESSIONS = """
# Plan
- [x] **BUILD-001**: done
- [x] **REG-BT-002**: Fix regression in BT-002
- [ ] **BUILD-002**: pending
- [ ] **REG-BT-002**: Fix regression in BT-002
- [B] **REG-BT-002**: Fix regression in BT-002
"""


def test_a_regression_task_appended_again_and_again_is_one_pending_item() -> None:
    plan = doc(REGRESSIONS)
    assert [item.id for item in plan.items] == ["BUILD-001", "REG-BT-002", "BUILD-002"]
    reg = must(plan.get("REG-BT-002"))
    assert (reg.line, reg.status) == (3, Status.PENDING)  # the first line; one line is [ ]
    assert plan.counts()["REG"][Status.PENDING] == 1
    assert [w.split(": ", 1)[0] for w in plan.warnings] == ["PLAN.md:5", "PLAN.md:6"]
    assert "REG-BT-002 appears again (first on line 3)" in plan.warnings[0]


def test_a_marker_change_writes_every_line_of_the_id_and_nothing_else() -> None:
    plan = doc(REGRESSIONS)
    done = plan.set_status("REG-BT-002", Status.DONE)
    assert done.text == plan.text.replace("[ ] **REG-BT-002**", "[x] **REG-BT-002**").replace(
        "[B] **REG-BT-002**", "[x] **REG-BT-002**"
    )
    assert must(done.get("REG-BT-002")).status is Status.DONE
    assert done.warnings == plan.warnings
    assert done.set_status("REG-BT-002", Status.DONE) is done


def test_a_duplicate_test_keeps_completion_waiting(tmp_path: Path) -> None:
    beta = tmp_path / "BETA_TEST_PLAN_v1.md"
    beta.write_text("- [x] **BT-001**: a\n- [ ] **BT-001**: a, again\n")
    tests = Checklist.load(beta, DocKind.TEST_PLAN)
    assert [item.id for item in tests.pending_tests()] == ["BT-001"]
    edit(beta, DocKind.TEST_PLAN, tmp_path / "lock", lambda c: c.set_status("BT-001", Status.DONE))
    assert beta.read_text() == "- [x] **BT-001**: a\n- [x] **BT-001**: a, again\n"


@pytest.mark.parametrize("marker", ["~", "-", "?", "", "  ", "✓"])
def test_an_unknown_marker_is_kept_and_neither_pending_done_nor_blocked(marker: str) -> None:
    tests = doc(f"- [{marker}] **SEC-001**: odd\n- [ ] **BT-001**: a\n", DocKind.TEST_PLAN)
    sec = must(tests.get("SEC-001"))
    assert sec.status is Status.OTHER
    assert [item.id for item in tests.pending_tests()] == ["BT-001"]
    assert tests.counts()["SEC"][Status.OTHER] == 1
    (warning,) = tests.warnings
    assert warning.startswith(f"PLAN.md:1: unknown marker [{marker}] on SEC-001: kept as it is")
    # Set on purpose (by the loop or a user): the whole marker is replaced, nothing else.
    done = tests.set_status("SEC-001", Status.DONE)
    assert done.text == tests.text.replace(f"[{marker}]", "[x]", 1)
    assert done.warnings == ()
    with pytest.raises(ValueError, match="never written"):
        tests.set_status("BT-001", Status.OTHER)


@pytest.mark.parametrize(
    ("bold", "item_id", "text"),
    [
        ("**Task 3a**: a", "Task 3a", "a"),
        ("**Task 3.1b:** b", "Task 3.1b", "b"),
        ("**Task: Set up the DB!**", "Task set-up-the-db", "Set up the DB!"),
        ("**Task 3 - Set up db** now", "Task 3", "Set up db now"),
        ("**Task**: bare", "Task untitled", "bare"),
        ("**Task: 日本語**", "Task h" + odd_task("Task: 日本語")[0][6:], "日本語"),
    ],
)
def test_odd_task_ids_are_tasks_with_a_stable_id(bold: str, item_id: str, text: str) -> None:
    plan = doc(f"# Plan\n\n- [ ] {bold}\n")
    (item,) = plan.items
    assert (item.id, item.kind, item.text, item.line) == (item_id, "Task", text, 3)
    assert is_item_id(item.id)
    assert must(plan.next_task()).id == item_id
    (warning,) = plan.warnings
    assert warning.startswith("PLAN.md:3: ") and f'read as task "{item_id}"' in warning
    # Stable: lines above it do not change it, and neither does its marker.
    moved = doc(f"# Plan\n\nintro\n- [x] **BUILD-001**: b\n- [ ] {bold}\n")
    assert moved.items[-1].id == item_id
    done = plan.set_status(item_id, Status.DONE)
    assert done.items[0].id == item_id and done.items[0].status is Status.DONE


def test_numbered_tasks_are_read_without_a_warning() -> None:
    plan = doc("- [ ] **Task 3**: a\n- [ ] **Task 3.1: title** b\n- [ ] **Tasks**: not a task\n")
    assert [item.id for item in plan.items] == ["Task 3", "Task 3.1"]
    (warning,) = plan.warnings  # only the line that is not a task
    assert warning.startswith('PLAN.md:3: "- [ ] **Tasks**: not a task" starts like a checklist')


def test_an_unclosed_fence_no_longer_hides_the_items_after_it() -> None:
    plan = doc(
        """
        - [x] **BUILD-001**: a
        ```
        - [ ] **BUILD-900**: inside a closed fence
        ```
        ~~~
        - [ ] **BUILD-002**: after a fence never closed
        """
    )
    assert [item.id for item in plan.items] == ["BUILD-001", "BUILD-002"]
    assert must(plan.next_task()).id == "BUILD-002"
    assert plan.warnings == (
        "PLAN.md:5: code fence never closed: the lines after it are read as usual, "
        "as loop-v2 read them",
    )


def test_annotations_read_as_loop_v2_read_them() -> None:
    tests = doc(
        """
        - [ ] **BT-001**: two names *(E2E: "login" + "logout")*
        - [ ] **BT-002**: two annotations *(E2E: "first")* *(E2E: "second")*
        - [ ] **BT-003**: wrapped, name complete *(E2E: "whole name"
          continues)*
        - [ ] **BT-004**: wrapped inside the name *(E2E: "half a
          name")*
        - [ ] **BT-005**: wrapped command *(cmd: "make
          test")*
        """,
        DocKind.TEST_PLAN,
    )
    values = [(item.id, item.e2e, item.cmd) for item in tests.items]
    assert values == [
        ("BT-001", "login", None),
        ("BT-002", "first", None),
        ("BT-003", "whole name", None),
        ("BT-004", None, None),
        ("BT-005", None, None),
    ]
    lines = [w.split(": ", 1)[0] for w in tests.warnings]
    assert lines == ["PLAN.md:2", "PLAN.md:3", "PLAN.md:5", "PLAN.md:7"]
    assert "another E2E annotation here: ignored, the first one wins" in tests.warnings[0]
    assert 'read as "whole name" (loop-v2 read one line)' in tests.warnings[1]
    assert "goes to the test-runner agent" in tests.warnings[2]


BETA = """
## Security
- [ ] **SEC-001**: no secret is logged

Steps:
1. sign in *(E2E: "sign in")*
2. read the logs
Expected: no token in them

- [ ] **EDGE-001**: an empty name is refused
  Steps: submit ""
### Performance
- [x] **PERF-002**: list loads fast
---
- [ ] **FIX-BT-001**: a task, not a test
"""


def test_any_non_task_item_of_the_beta_plan_is_a_test() -> None:
    tests = doc(BETA, DocKind.TEST_PLAN)
    assert [item.id for item in tests.tests()] == ["SEC-001", "EDGE-001", "PERF-002"]
    assert [item.id for item in tests.pending_tests()] == ["SEC-001", "EDGE-001"]
    assert must(tests.next_test()).id == "SEC-001"
    assert must(tests.get("FIX-BT-001")).kind == "FIX"  # a task: never run as a test


def test_a_one_line_test_gets_loop_v2_s_window_as_its_block() -> None:
    tests = doc(BETA, DocKind.TEST_PLAN)
    sec, edge, perf = (must(tests.get(i)) for i in ("SEC-001", "EDGE-001", "PERF-002"))
    assert sec.block == (
        '- [ ] **SEC-001**: no secret is logged\n\nSteps:\n1. sign in *(E2E: "sign in")*\n'
        "2. read the logs\nExpected: no token in them\n"
    )
    assert sec.e2e == "sign in"  # found in the window, as loop-v2 found it
    assert edge.block == '- [ ] **EDGE-001**: an empty name is refused\n  Steps: submit ""\n'
    assert perf.block == "- [x] **PERF-002**: list loads fast\n"  # ends at the --- rule
    # Only in the beta plan: SEC-001 in a plan keeps its one line.
    assert must(doc(BETA).get("SEC-001")).block == "- [ ] **SEC-001**: no secret is logged\n"
    assert must(doc(BETA).get("FIX-BT-001")).block == "- [ ] **FIX-BT-001**: a task, not a test\n"


def test_the_window_is_the_item_line_and_at_most_25_more() -> None:
    lines = [f"step {n}" for n in range(1, 40)]
    tests = doc("- [ ] **BT-001**: long\n\n" + "\n".join(lines) + "\n", DocKind.TEST_PLAN)
    block = must(tests.get("BT-001")).block
    assert block.splitlines()[-1] == "step 24" and len(block.splitlines()) == 26


def test_sprint_warnings_name_each_file_relative_to_the_repo(tmp_path: Path) -> None:
    sprint = Sprint(name="s1", repo=tmp_path, dir=tmp_path / "docs/sprints/s1")
    sprint.dir.mkdir(parents=True)
    sprint.plan.write_text("- [ ] **REG-BT-1**: a\n- [ ] **REG-BT-1**: a\n")
    sprint.beta_plan.write_text("- [~] **BT-001**: odd\n")
    assert sprint_warnings(sprint) == [
        "docs/sprints/s1/IMPLEMENTATION_PLAN.md:2: REG-BT-1 appears again (first on line 1): "
        "one item, pending while any of its lines is [ ]; a marker change writes all of them",
        "docs/sprints/s1/BETA_TEST_PLAN_v1.md:1: unknown marker [~] on BT-001: kept as it is; "
        "the item is neither pending, done nor blocked "
        "(loopd writes [ ] pending, [x] done, [B] blocked, [U] needs a user)",
    ]


LOOP_V2 = Path(__file__).parent / "fixtures" / "checklists" / "loop-v2"


@pytest.mark.parametrize(
    ("name", "kind", "warnings"),
    [("IMPLEMENTATION_PLAN.md", DocKind.PLAN, 9), ("BETA_TEST_PLAN_v1.md", DocKind.TEST_PLAN, 4)],
)
def test_a_loop_v2_repo_s_checklists_read_like_the_reference(
    name: str, kind: DocKind, warnings: int
) -> None:
    checklist = Checklist.load(LOOP_V2 / name, kind)
    items, lines = read(checklist.text, kind)
    assert [_as_dict(item) for item in checklist.items] == items
    assert [int(w.split(":")[1]) for w in checklist.warnings] == lines
    assert len(checklist.warnings) == warnings


def test_a_loop_v2_repo_s_plan_is_resumed_where_it_stood(tmp_path: Path) -> None:
    plan_path = tmp_path / "IMPLEMENTATION_PLAN.md"
    original = (LOOP_V2 / "IMPLEMENTATION_PLAN.md").read_bytes()
    plan_path.write_bytes(original)
    plan = Checklist.load(plan_path, DocKind.PLAN)
    assert must(plan.next_task()).id == "BUILD-003"
    assert must(plan.get("REG-BT-002")).status is Status.PENDING
    edit(
        plan_path,
        DocKind.PLAN,
        tmp_path / "lock",
        lambda c: c.set_status("REG-BT-002", Status.DONE),
    )
    written = plan_path.read_bytes()
    assert written == original.replace(b"- [ ] **REG-BT-002**", b"- [x] **REG-BT-002**")


def test_a_loop_v2_repo_s_beta_plan_runs_every_pending_test() -> None:
    tests = Checklist.load(LOOP_V2 / "BETA_TEST_PLAN_v1.md", DocKind.TEST_PLAN)
    pending = [(t.id, t.e2e) for t in tests.pending_tests()]
    assert pending == [
        ("BT-003", "notes \u203a reload"),
        ("BT-004", None),
        ("CP-001", "list \u203a newest first"),
        ("EDGE-001", None),
        ("SEC-001", None),
    ]
    assert must(tests.get("BT-002")).e2e == "auth \u203a login"


def test_an_item_whose_bold_is_never_closed_is_read_with_a_warning() -> None:
    # loop-v2 counted this line as a pending BUILD task: dropping it ended a sprint "full success".
    checklist = doc(
        """
        - [x] **BUILD-001**: done
        - [ ] **BUILD-002: text
        - [ ] **BUILD-003 closed too late**
        """
    )
    assert [item.id for item in checklist.pending()] == ["BUILD-002", "BUILD-003"]
    assert must(checklist.get("BUILD-002")).text == "text"
    assert checklist.warnings == (
        'PLAN.md:2: "**BUILD-002" is not closed by "**" right after the ID: read as item '
        "BUILD-002; write it as **BUILD-002**: text",
        'PLAN.md:3: "**BUILD-003" is not closed by "**" right after the ID: read as item '
        "BUILD-003; write it as **BUILD-003**: text",
    )
    done = checklist.set_status("BUILD-002", Status.DONE)
    assert done.text == checklist.text.replace("- [ ] **BUILD-002", "- [x] **BUILD-002")


def test_a_line_that_starts_like_an_item_without_a_clear_id_is_a_warning() -> None:
    checklist = doc(
        """
        - [ ] **build the thing**
        ```
        - [ ] **in a fence, not an item
        ```
        """
    )
    assert checklist.items == ()
    assert checklist.warnings == (
        'PLAN.md:1: "- [ ] **build the thing**" starts like a checklist item but has no ID '
        "loopd can read (like **BUILD-001**: text): ignored, loopd does not act on it",
    )


def test_a_byte_order_mark_further_down_is_not_an_item_start_for_either_reader() -> None:
    """Found by the fuzz test: only line 1 may carry a BOM before its item."""
    text = "- [ ] **BT-1**: a\n\ufeff- [ ] **BT-1**: a\n"
    checklist = Checklist.parse(text, DocKind.TEST_PLAN)
    assert [item.id for item in checklist.items] == ["BT-1"] and checklist.warnings == ()
