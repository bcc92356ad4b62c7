"""Reading checklist documents: items, blocks, annotations, queries, and refusals."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from loopd.checklist import Checklist, DocKind, Status
from tests.test_checklist_fuzz import _as_dict, must, reference

FIXTURES = Path(__file__).parent / "fixtures" / "checklists"
DOCUMENTS = [
    ("IMPLEMENTATION_PLAN.md", DocKind.PLAN),
    ("BETA_TEST_PLAN_v1.md", DocKind.TEST_PLAN),
    ("VALUE_CHECKLIST.md", DocKind.VALUES),
]


def doc(text: str, kind: DocKind = DocKind.PLAN) -> Checklist:
    return Checklist.parse(textwrap.dedent(text).lstrip("\n"), kind)


@pytest.mark.parametrize(("name", "kind"), DOCUMENTS)
def test_fixtures_read_exactly_as_the_line_by_line_reference(name: str, kind: DocKind) -> None:
    checklist = Checklist.load(FIXTURES / name, kind)
    assert checklist.text.encode() == (FIXTURES / name).read_bytes()
    assert len(checklist.items) >= 60
    assert [_as_dict(item) for item in checklist.items] == reference(checklist.text)
    for item in checklist.items:
        assert checklist.text.splitlines()[item.line - 1].lstrip().startswith(("-", "*", "+"))
        assert item.block == checklist.text[item.span[0] : item.span[1]]


def test_checkbox_lines_in_code_comments_and_tables_are_not_items() -> None:
    plan = Checklist.load(FIXTURES / "IMPLEMENTATION_PLAN.md", DocKind.PLAN)
    assert plan.get("SVC-900") is None  # table cell
    assert plan.get("INT-500") is None  # inside an HTML comment
    assert not [item for item in plan.items if item.id.startswith("BUILD-9")]  # in ``` blocks
    fenced = "- [?] **BUILD-002**: unknown marker, but inside a fence"
    assert fenced in plan.text
    assert plan.get("BUILD-002") is not None
    assert fenced not in must(plan.get("BUILD-002")).block


def test_crlf_test_plan_keeps_crlf_blocks_and_annotations_with_quotes() -> None:
    beta = Checklist.load(FIXTURES / "BETA_TEST_PLAN_v1.md", DocKind.TEST_PLAN)
    assert beta.text.count("\r\n") == beta.text.count("\n")
    with_cmd = [item for item in beta.items if item.cmd]
    assert with_cmd
    for item in with_cmd:
        assert item.block.endswith("\r\n")
        assert (item.cmd or "").startswith("curl -fsS http://localhost:8080/api/")
        assert (item.cmd or "").endswith('grep -q "\\"ok\\"" && echo "done"')
    assert any('"' in (item.e2e or "") for item in beta.items)
    assert all("\r" not in item.text for item in beta.items)


def test_markers_item_forms_and_text() -> None:
    checklist = doc(
        """
        - [ ] **BUILD-001**: pending
        * [x] **BUILD-002:** done, bold colon
        + [X] **Task 3: Set up the DB** upper-case x
        \t- [B] **INT-004** blocked, no colon
          - [U] **SVC-005**: needs a user — 🚀 שלום
        - [b] **FIX-BT-006**: lower-case b
        - [u] **REG-BT-007**: lower-case u
        """
    )
    got = [(item.id, item.kind, item.status, item.text) for item in checklist.items]
    assert got == [
        ("BUILD-001", "BUILD", Status.PENDING, "pending"),
        ("BUILD-002", "BUILD", Status.DONE, "done, bold colon"),
        ("Task 3", "Task", Status.DONE, "Set up the DB upper-case x"),
        ("INT-004", "INT", Status.BLOCKED, "blocked, no colon"),
        ("SVC-005", "SVC", Status.USER, "needs a user — 🚀 שלום"),
        ("FIX-BT-006", "FIX", Status.BLOCKED, "lower-case b"),
        ("REG-BT-007", "REG", Status.USER, "lower-case u"),
    ]
    assert [item.line for item in checklist.items] == [1, 2, 3, 4, 5, 6, 7]


def test_lines_that_only_look_like_items_are_not_items() -> None:
    checklist = doc(
        """
        - [ ] plain checkbox without an ID
        - [ ] **bt-001**: lower-case kind
        - [ ] BT-002: not bold
        -[ ] **BT-003**: no space after the bullet
        > - [ ] **BT-004**: in a quote
        1. [ ] **BT-005**: ordered list
        - [ ] **BT-006**: the only item
        """
    )
    assert [item.id for item in checklist.items] == ["BT-006"]


def test_block_runs_to_the_next_item_heading_or_outdented_paragraph() -> None:
    checklist = doc(
        """
        - [ ] **BT-001**: first
          indented detail
        a lazy continuation line

          after a blank line, still indented
          - a nested bullet
            - [ ] **BT-002**: a nested item
        - [ ] **BT-003**: sibling ends BT-001

        ## Heading
        - [ ] **BT-004**: last
          ```
        unindented code stays in the block
          ```


        Unindented paragraph after a blank line ends it.
        """
    )
    first, nested, sibling, last = checklist.items
    assert first.block == (
        "- [ ] **BT-001**: first\n  indented detail\na lazy continuation line\n\n"
        "  after a blank line, still indented\n  - a nested bullet\n"
        "    - [ ] **BT-002**: a nested item\n"
    )
    assert nested.block == "    - [ ] **BT-002**: a nested item\n"
    assert sibling.block == "- [ ] **BT-003**: sibling ends BT-001\n"
    assert last.block.endswith("unindented code stays in the block\n  ```\n")


def test_annotations_with_quotes_case_and_ownership() -> None:
    checklist = doc(
        """
        - [ ] **BT-001**: login *(E2E: "auth \u203a user "alice" logs in")*
          *(cmd: "curl -s localhost/health | grep -q "ok"")*
          - [ ] **BT-002**: nested *(e2e: "child")*
        - [ ] **BT-003**: *(CMD:"make test")* and no E2E
        A lazy line still in BT-003: *(E2E: "lazy")*

        *(cmd: "outside every item")*
        """,
        DocKind.TEST_PLAN,
    )
    first, child, third = checklist.items
    assert (first.e2e, first.cmd) == (
        'auth \u203a user "alice" logs in',
        'curl -s localhost/health | grep -q "ok"',
    )
    assert (child.e2e, child.cmd) == ("child", None)
    assert (third.e2e, third.cmd) == ("lazy", "make test")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("- [ ] **BT-001**: a\n- [?] **BT-002**: b\n", 2, "unknown marker [?] on BT-002: kept"),
        ("- [-] **BT-001**: a\n", 1, "unknown marker [-]"),
        ("- [] **BT-001**: a\n", 1, "unknown marker []"),
        ("- [ ] **BT-001**: a\n\n- [x] **BT-001**: b\n", 3, "appears again (first on line 1)"),
        ('- [ ] **BT-001**: a\n  x *(cmd: "make test\n', 2, 'not closed by ")*" on its line'),
        ("- [ ] **BT-001**: a *(cmd: make)*\n", 1, 'not closed by ")*" on its line: ignored'),
        ('- [ ] **BT-001**: a *(E2E: " ")*\n', 1, "E2E annotation on BT-001 is empty: ignored"),
        ('- [ ] **BT-001**: *(cmd: "a")*\n  *(cmd: "b")*\n', 2, "another cmd annotation"),
        ("# T\n\n```\n- [ ] **BT-001**: visible\n", 3, "code fence never closed"),
        ("<!--\n- [ ] **BT-001**: visible\n", 1, "HTML comment never closed"),
        ("- [ ] **Task 3a**: odd\n", 1, 'read as task "Task 3a"'),
    ],
)
def test_what_loop_v2_left_behind_is_read_with_one_warning_naming_file_and_line(
    text: str, line: int, words: str
) -> None:
    # These were refused before: a file loop-v2 could have written is now read.
    checklist = Checklist.parse(text, DocKind.PLAN, Path("PLAN.md"))
    (warning,) = checklist.warnings
    assert warning.startswith(f"PLAN.md:{line}: ")
    assert words in warning
    assert checklist.items


def test_unclosed_fence_that_hides_no_item_warns_too() -> None:
    checklist = doc("- [ ] **BT-001**: a\n\n```\nsome code\n")
    assert [item.id for item in checklist.items] == ["BT-001"]
    assert checklist.warnings == (
        "<text>:3: code fence never closed: the lines after it are "
        "read as usual, as loop-v2 read them",
    )


def test_missing_file_is_an_empty_checklist(tmp_path: Path) -> None:
    checklist = Checklist.load(tmp_path / "NOPE.md", DocKind.PLAN)
    assert (checklist.text, checklist.items) == ("", ())
    assert checklist.next_task() is None
    assert checklist.next_test() is None


PLAN = """
- [x] **BUILD-001**: done
- [ ] **Task 1**: a task before the builds
- [ ] **INT-001**: an integration task
- [B] **BUILD-002**: blocked
- [ ] **SVC-001**: services are not picked by next_task
- [ ] **BUILD-003**: the first pending build
- [ ] **BUILD-004**: the second pending build
- [ ] **BT-001**: a test in a plan
"""


def test_next_task_prefers_build_then_int_then_task_in_file_order() -> None:
    checklist = doc(PLAN)
    assert must(checklist.next_task()).id == "BUILD-003"
    without_builds = checklist.set_status("BUILD-003", Status.DONE).set_status(
        "BUILD-004", Status.USER
    )
    assert must(without_builds.next_task()).id == "INT-001"
    tasks_only = without_builds.set_status("INT-001", Status.DONE)
    assert must(tasks_only.next_task()).id == "Task 1"
    assert tasks_only.set_status("Task 1", Status.BLOCKED).next_task() is None


def test_int_is_a_task_in_a_plan_and_a_test_in_a_test_plan() -> None:
    text = "- [ ] **INT-001**: integration\n- [ ] **BT-001**: beta\n- [ ] **Task 1**: t\n"
    plan, tests = Checklist.parse(text, DocKind.PLAN), Checklist.parse(text, DocKind.TEST_PLAN)
    assert must(plan.next_task()).id == "INT-001"
    assert must(tests.next_task()).id == "Task 1"
    assert must(tests.next_test()).id == "INT-001"
    assert must(plan.next_test()).id == "BT-001"
    assert [item.id for item in plan.tasks()] == ["INT-001", "Task 1"]
    assert [item.id for item in tests.tests()] == ["INT-001", "BT-001"]


def test_next_test_is_the_first_pending_test_not_skipped() -> None:
    checklist = doc(
        """
        - [x] **BT-001**: passed
        - [ ] **FIX-BT-001**: a task, never a test
        - [ ] **BT-002**: pending
        - [B] **UX-001**: blocked
        - [ ] **VAL-001**: pending value test
        - [ ] **UX-002**: pending ux test
        """,
        DocKind.TEST_PLAN,
    )
    assert must(checklist.next_test()).id == "BT-002"
    assert must(checklist.next_test(skip={"BT-002"})).id == "VAL-001"
    assert must(checklist.next_test(skip=("BT-002", "VAL-001"))).id == "UX-002"
    assert checklist.next_test(skip={"BT-002", "VAL-001", "UX-002"}) is None


def test_counts_and_pending_by_kind() -> None:
    checklist = doc(PLAN)
    counts = checklist.counts()
    assert counts["BUILD"] == {
        Status.PENDING: 2,
        Status.DONE: 1,
        Status.BLOCKED: 1,
        Status.USER: 0,
        Status.OTHER: 0,
    }
    assert counts["BT"][Status.PENDING] == 1
    assert set(counts) == {"BUILD", "Task", "INT", "SVC", "BT"}
    assert [item.id for item in checklist.pending(["BUILD", "SVC"])] == [
        "SVC-001",
        "BUILD-003",
        "BUILD-004",
    ]
    assert len(checklist.pending()) == 6


def test_blocked_values_by_marker_or_by_saying_blocked() -> None:
    checklist = doc(
        """
        - [B] **VAL-001**: marked blocked
        - [ ] **VAL-002**: says so — BLOCKED: needs a Stripe key
        - [ ] **VAL-003**: on a continuation line
          Status: BLOCKED until SMTP exists
        - [ ] **VAL-004**: UNBLOCKED now, and "blocked" in lower case
        - [x] **VAL-005**: delivered; was BLOCKED last week
        - [ ] **VAL-006**: parent is not blocked
          - [ ] **VAL-007**: the child is BLOCKED
        """,
        DocKind.VALUES,
    )
    assert [item.id for item in checklist.blocked_values()] == [
        "VAL-001",
        "VAL-002",
        "VAL-003",
        "VAL-007",
    ]


def test_get_returns_the_item_or_none() -> None:
    checklist = doc(PLAN)
    assert must(checklist.get("BUILD-004")).text == "the second pending build"
    assert checklist.get("BUILD-999") is None
    assert checklist.get("Task 1") == checklist.items[1]
