"""Editing checklist documents: marker flips, appended tasks, and edit() on disk."""

from __future__ import annotations

import functools
import multiprocessing
import os
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from loopd.checklist import Checklist, DocKind, Status, edit
from loopd.errors import LoopdError
from tests.test_checklist_fuzz import must

FIXTURES = Path(__file__).parent / "fixtures" / "checklists"


def differing(before: str, after: str) -> list[int]:
    assert len(before) == len(after)
    return [n for n, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("IMPLEMENTATION_PLAN.md", DocKind.PLAN), ("BETA_TEST_PLAN_v1.md", DocKind.TEST_PLAN)],
)
def test_set_status_changes_exactly_one_character_of_a_large_fixture(
    name: str, kind: DocKind
) -> None:
    checklist = Checklist.load(FIXTURES / name, kind)
    for item in checklist.items[::37]:
        for status in (Status.PENDING, Status.DONE, Status.BLOCKED, Status.USER):
            changed = checklist.set_status(item.id, status)
            expected = [] if item.status is status else [item.marker_at]
            assert differing(checklist.text, changed.text) == expected
            assert must(changed.get(item.id)).status is status
            assert must(Checklist.parse(changed.text, kind).get(item.id)).status is status


def test_set_status_returns_a_new_checklist_and_keeps_the_old_one() -> None:
    original = Checklist.parse(
        "- [ ] **BT-001**: a\r\n  detail\r\n- [X] **BT-002**: b\r\n", DocKind.TEST_PLAN
    )
    passed = original.set_status("BT-001", Status.DONE)
    assert passed.text == "- [x] **BT-001**: a\r\n  detail\r\n- [X] **BT-002**: b\r\n"
    assert must(passed.get("BT-001")).block == "- [x] **BT-001**: a\r\n  detail\r\n"
    assert must(original.get("BT-001")).status is Status.PENDING
    assert original.set_status("BT-002", Status.DONE) is original  # [X] already counts as done
    assert passed.reset("BT-001").text == original.text
    assert (
        passed.reset("BT-002")
        .set_status("BT-002", Status.BLOCKED)
        .text.endswith("[B] **BT-002**: b\r\n")
    )


def test_set_status_updates_the_block_of_the_parent_too() -> None:
    checklist = Checklist.parse("- [ ] **BT-001**: a\n  - [ ] **BT-002**: b\n", DocKind.TEST_PLAN)
    changed = checklist.set_status("BT-002", Status.USER)
    assert [item.block for item in changed.items] == [
        "- [ ] **BT-001**: a\n  - [U] **BT-002**: b\n",
        "  - [U] **BT-002**: b\n",
    ]


@pytest.mark.parametrize("change", ["set_status", "reset"])
def test_changing_an_unknown_id_is_refused(change: str) -> None:
    checklist = Checklist.parse("- [ ] **BT-001**: a\n", DocKind.TEST_PLAN, Path("BETA.md"))
    with pytest.raises(LoopdError, match="no item BT-404") as raised:
        if change == "reset":
            checklist.reset("BT-404")
        else:
            checklist.set_status("BT-404", Status.DONE)
    assert raised.value.path == Path("BETA.md")


def test_append_task_adds_an_indented_item_at_the_end_in_the_files_newline_style() -> None:
    checklist = Checklist.parse("# Plan\r\n\r\n- [x] **BUILD-001**: done", DocKind.PLAN)
    appended = checklist.append_task(
        "REG-BT-007",
        "BT-007 regressed\nafter the auth change",
        ["Evidence: 500 on /login", "- step two"],
    )
    assert appended.text == (
        "# Plan\r\n\r\n- [x] **BUILD-001**: done\r\n"
        "- [ ] **REG-BT-007**: BT-007 regressed\r\n"
        "  after the auth change\r\n"
        "  Evidence: 500 on /login\r\n"
        "  - step two\r\n"
    )
    item = appended.get("REG-BT-007")
    assert item is not None
    assert (item.status, item.kind, item.line) == (Status.PENDING, "REG", 4)
    assert item.block == appended.text[appended.text.index("- [ ] **REG") :]


def test_append_to_an_empty_or_missing_document() -> None:
    appended = Checklist.parse("", DocKind.PLAN).append_task("FIX-BT-001", "fix login")
    assert appended.text == "- [ ] **FIX-BT-001**: fix login\n"


def test_appending_an_id_that_exists_anywhere_changes_nothing() -> None:
    checklist = Checklist.parse(
        "- [x] **BUILD-001**: a\n  - [B] **FIX-BT-001**: nested and blocked\n", DocKind.PLAN
    )
    assert checklist.append_task("FIX-BT-001", "again") is checklist
    assert checklist.append_task("BUILD-001", "again") is checklist


@pytest.mark.parametrize(
    ("text", "item_id", "task", "details"),
    [
        ("- [ ] **BUILD-001**: a\n", "not an id", "x", ()),
        ("- [ ] **BUILD-001**: a\n", "FIX-BT-001", "x\n- [ ] **FIX-BT-002**: sneaks in", ()),
        ("- [ ] **BUILD-001**: a\n", "FIX-BT-001", "x", ["- [ ] **BUILD-001**: duplicate"]),
        ("- [ ] **BUILD-001**: a\n<!--\n", "FIX-BT-001", "x\n-->", ()),
    ],
)
def test_append_that_would_not_add_exactly_one_item_is_refused(
    text: str, item_id: str, task: str, details: tuple[str, ...]
) -> None:
    checklist = Checklist.parse(text, DocKind.PLAN, Path("PLAN.md"))
    with pytest.raises(LoopdError) as raised:
        checklist.append_task(item_id, task, details)
    assert raised.value.path == Path("PLAN.md")


def test_edit_rereads_applies_and_writes_only_a_changed_text(tmp_path: Path) -> None:
    plan, lock = tmp_path / "IMPLEMENTATION_PLAN.md", tmp_path / ".loopd" / "lock"
    original = (FIXTURES / "IMPLEMENTATION_PLAN.md").read_bytes()
    plan.write_bytes(original)
    target = Checklist.load(plan, DocKind.PLAN).next_task()
    assert target is not None
    os.utime(plan, ns=(1_000_000_000, 1_000_000_000))

    def same(checklist: Checklist) -> Checklist:
        return checklist.set_status("BUILD-001", must(checklist.get("BUILD-001")).status)

    unchanged = edit(plan, DocKind.PLAN, lock, same)
    assert plan.stat().st_mtime_ns == 1_000_000_000
    assert unchanged.text.encode() == original

    result = edit(plan, DocKind.PLAN, lock, lambda c: c.set_status(target.id, Status.DONE))
    written = plan.read_bytes()
    assert written == result.text.encode()
    assert len(written) == len(original)
    changed = [n for n, (a, b) in enumerate(zip(original, written, strict=True)) if a != b]
    assert len(changed) == 1
    assert written[changed[0] : changed[0] + 1] == b"x"


def test_edit_creates_a_missing_document_by_appending(tmp_path: Path) -> None:
    plan = tmp_path / "docs" / "IMPLEMENTATION_PLAN.md"
    edit(plan, DocKind.PLAN, tmp_path / "lock", lambda c: c.append_task("FIX-BT-001", "fix it"))
    assert plan.read_text() == "- [ ] **FIX-BT-001**: fix it\n"


def test_edit_that_fails_writes_nothing(tmp_path: Path) -> None:
    plan = tmp_path / "IMPLEMENTATION_PLAN.md"
    plan.write_bytes(b"- [ ] **BUILD-001**: a\r\n")
    before = plan.read_bytes(), plan.stat().st_mtime_ns
    with pytest.raises(LoopdError, match="no item BUILD-002"):
        edit(
            plan,
            DocKind.PLAN,
            tmp_path / "lock",
            lambda c: c.set_status("BUILD-001", Status.DONE).set_status("BUILD-002", Status.DONE),
        )
    assert (plan.read_bytes(), plan.stat().st_mtime_ns) == before


def _flip_and_append(path: str, lock: str, ids: list[str], prefix: str, start: Event) -> None:
    """One of two competing processes: each edit re-reads the file under the lock."""
    start.wait()
    for n, item_id in enumerate(ids):
        flip = functools.partial(Checklist.set_status, item_id=item_id, status=Status.DONE)
        add = functools.partial(Checklist.append_task, item_id=f"{prefix}-{n:03d}", text="new")
        edit(Path(path), DocKind.PLAN, Path(lock), flip)
        edit(Path(path), DocKind.PLAN, Path(lock), add)


def test_two_processes_editing_one_file_under_the_lock_both_land(tmp_path: Path) -> None:
    plan, lock = tmp_path / "IMPLEMENTATION_PLAN.md", tmp_path / "lock"
    lines = [f"- [ ] **BUILD-{n:03d}**: task {n}\n  detail {n}\n" for n in range(60)]
    plan.write_text("# Plan\n\n" + "".join(lines))
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(
            target=_flip_and_append,
            args=(
                str(plan),
                str(lock),
                [f"BUILD-{n:03d}" for n in range(side, 60, 2)],
                prefix,
                start,
            ),
        )
        for side, prefix in ((0, "FIX-A"), (1, "FIX-B"))
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    result = Checklist.load(plan, DocKind.PLAN)
    assert [item.id for item in result.pending(["BUILD"])] == []
    appended = sorted(item.id for item in result.items if item.kind == "FIX")
    assert appended == sorted(f"FIX-{side}-{n:03d}" for side in "AB" for n in range(30))
    assert result.text.startswith("# Plan\n\n- [x] **BUILD-000**: task 0\n  detail 0\n")


def test_load_reuses_an_unchanged_document_and_sees_any_change(tmp_path: Path) -> None:
    plan = tmp_path / "IMPLEMENTATION_PLAN.md"
    plan.write_text("- [ ] **BUILD-001**: a\n")
    first = Checklist.load(plan, DocKind.PLAN)
    assert Checklist.load(plan, DocKind.PLAN) is first
    assert Checklist.load(plan, DocKind.TEST_PLAN).kind is DocKind.TEST_PLAN
    plan.write_text("- [x] **BUILD-001**: a\n")  # another process edits it
    assert must(Checklist.load(plan, DocKind.PLAN).get("BUILD-001")).status is Status.DONE
    written = edit(plan, DocKind.PLAN, tmp_path / "lock", lambda c: c.reset("BUILD-001"))
    assert Checklist.load(plan, DocKind.PLAN) is written
    plan.write_text("- [x] **BUILD-001**: a\n- [ ] **BUILD-001**: twice\n")
    again = Checklist.load(plan, DocKind.PLAN)  # read, not refused
    assert must(again.get("BUILD-001")).status is Status.PENDING
    assert again.warnings == (
        f"{plan}:2: BUILD-001 appears again (first on line 1): one item, pending while any "
        "of its lines is [ ]; a marker change writes all of them",
    )
