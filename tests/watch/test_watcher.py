from __future__ import annotations

import threading
from pathlib import Path

import pytest

from loopd import fsio
from loopd.checklist import DocKind, edit
from loopd.config import WatchSettings
from loopd.errors import LoopdError
from loopd.events import EventLog, read_events
from loopd.sprint import Sprint, sprint_for
from loopd.watch import PROBLEM_EVENT, WATCH_EVENT, Change, Trigger, Watcher
from tests.conftest import git
from tests.watch.conftest import QUICK
from tests.watch.support import (
    SkippingClock,
    collect,
    eventually,
    has,
    inotify_watches,
    live_threads,
    paths,
)

PLAN = "docs/sprints/s1/IMPLEMENTATION_PLAN.md"
STATE = "docs/sprints/s1/LOOP_STATE.md"
BETA = "docs/sprints/s1/BETA_TEST_PLAN_v1.md"
SENTINEL = "src/sentinel.py"


def _write(sprint: Sprint, rel: str, text: str) -> None:
    path = sprint.repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _tasks(*markers: str) -> str:
    return "".join(f"- [{m}] **BUILD-{n:03d}**: task {n}\n" for n, m in enumerate(markers, 1))


def test_a_source_edit_a_new_file_a_rename_and_a_delete_are_source_changes(
    sprint: Sprint, watcher: Watcher
) -> None:
    _write(sprint, "src/app.py", "print('changed')\n")
    _write(sprint, "notes.txt", "new\n")
    found = paths(collect(watcher, has(Trigger.SOURCE, "notes.txt")))
    assert found == {Trigger.SOURCE: {"src/app.py", "notes.txt"}}
    (sprint.repo / "src/app.py").rename(sprint.repo / "src/main.py")
    (sprint.repo / "notes.txt").unlink()
    found = paths(collect(watcher, has(Trigger.SOURCE, "notes.txt")))
    assert found == {Trigger.SOURCE: {"src/app.py", "src/main.py", "notes.txt"}}


def test_each_sprint_document_fires_its_own_trigger(sprint: Sprint, watcher: Watcher) -> None:
    cases = [
        ("docs/sprints/s1/VISION.md", "# Vision\n\nSharper.\n", Trigger.DOCS),
        ("docs/sprints/s1/ARCHITECTURE.md", "# Architecture\n", Trigger.DOCS),
        (PLAN, _tasks(" "), Trigger.PLAN_PENDING),
        (
            "docs/sprints/s1/BETA_TEST_PLAN_v1.md",
            "- [ ] **E2E-001**: signs up\n",
            Trigger.PLAN_PENDING,
        ),
        (STATE, "# Loop state\n", Trigger.STATE),
        ("docs/sprints/s1/prompts/build.md", "Build it.\n", Trigger.PROMPTS),
    ]
    for rel, text, trigger in cases:
        _write(sprint, rel, text)
        assert collect(watcher, has(trigger, rel)) == [Change(trigger, (rel,))], rel


def test_ignored_git_and_runtime_files_never_count(sprint: Sprint, watcher: Watcher) -> None:
    _write(sprint, "server.log", "noise\n")
    _write(sprint, "build/out.o", "binary\n")
    _write(sprint, ".loopd/s1/events.jsonl", "{}\n")
    _write(sprint, "src/.app.py.swp", "vim\n")
    git(sprint.repo, "commit", "-q", "--allow-empty", "-m", "only .git changes")
    git(sprint.repo, "tag", "v1")
    _write(sprint, "src/sentinel.py", "x = 1\n")
    changes = collect(watcher, has(Trigger.SOURCE, "src/sentinel.py"))
    assert paths(changes) == {Trigger.SOURCE: {"src/sentinel.py"}}


def test_a_tracked_file_matching_an_ignore_pattern_still_counts(
    sprint: Sprint, watcher: Watcher
) -> None:
    _write(sprint, "keep.log", "tracked\n")
    git(sprint.repo, "add", "-f", "keep.log")
    git(sprint.repo, "commit", "-q", "-m", "a tracked log")
    collect(watcher, has(Trigger.SOURCE, "keep.log"))


def test_own_writes_are_ignored_but_a_later_edit_of_the_same_file_is_not(
    sprint: Sprint, watcher: Watcher
) -> None:
    fsio.atomic_write(sprint.state_file, "# Loop state\nstep: implement\n")
    fsio.atomic_write(sprint.regression_log, "# Regressions\n")
    edit(sprint.plan, DocKind.PLAN, sprint.files_lock, lambda c: c.append_task("BUILD-001", "x"))
    _write(sprint, "src/sentinel.py", "x = 1\n")
    changes = collect(watcher, has(Trigger.SOURCE, "src/sentinel.py"))
    assert paths(changes) == {Trigger.SOURCE: {"src/sentinel.py"}}

    _write(sprint, STATE, "# Loop state\nstep: tests\n")
    assert collect(watcher, has(Trigger.STATE, STATE)) == [Change(Trigger.STATE, (STATE,))]


def test_a_burst_of_saves_is_one_change(sprint: Sprint, events: EventLog) -> None:
    files = [f"src/mod{n}.py" for n in range(5)]
    with Watcher(sprint, WatchSettings(), events=events) as watcher:
        for n in range(50):
            _write(sprint, files[n % 5], f"version = {n}\n")
        assert watcher.wait(timeout=10) == [Change(Trigger.SOURCE, tuple(files))]
        _write(sprint, "docs/sprints/s1/PRD.md", "# PRD\n\n- Faster.\n")
        later = collect(watcher, has(Trigger.DOCS, "docs/sprints/s1/PRD.md"))
    assert Trigger.SOURCE not in paths(later)


def test_paused_changes_are_queued_then_delivered_on_resume(
    sprint: Sprint, watcher: Watcher
) -> None:
    watcher.pause()
    _write(sprint, "src/app.py", "print('agent edit')\n")
    eventually(lambda: bool(watcher.queued()))
    assert watcher.wait(timeout=0) == []
    assert watcher.queued() == [Change(Trigger.SOURCE, ("src/app.py",))]
    watcher.resume()
    assert watcher.wait(timeout=0) == [Change(Trigger.SOURCE, ("src/app.py",))]
    assert watcher.queued() == []


def test_plan_pending_fires_only_when_pending_items_grow(sprint: Sprint, events: EventLog) -> None:
    _write(sprint, PLAN, _tasks(" ", " "))
    with Watcher(sprint, QUICK, events=events) as watcher:
        _write(sprint, PLAN, _tasks("x", " "))  # ticking one off is progress, not new work
        _write(sprint, "src/sentinel.py", "x = 1\n")
        assert Trigger.PLAN_PENDING not in paths(
            collect(watcher, has(Trigger.SOURCE, "src/sentinel.py"))
        )

        _write(sprint, PLAN, _tasks("x", " ", " ", " "))
        assert collect(watcher, has(Trigger.PLAN_PENDING, PLAN)) == [
            Change(Trigger.PLAN_PENDING, (PLAN,))
        ]
        _write(sprint, PLAN, _tasks("x", "x", " ", " "))
        _write(sprint, PLAN, _tasks("x", "x", " ", " ", "B"))  # blocked is not pending
        _write(sprint, "src/sentinel.py", "x = 2\n")
        assert Trigger.PLAN_PENDING not in paths(
            collect(watcher, has(Trigger.SOURCE, "src/sentinel.py"))
        )

        _write(sprint, PLAN, _tasks("x", " ", " ", " ", "B"))  # un-ticked: work again
        collect(watcher, has(Trigger.PLAN_PENDING, PLAN))


def test_plan_growth_worked_off_while_paused_is_not_delivered(
    sprint: Sprint, watcher: Watcher
) -> None:
    watcher.pause()
    _write(sprint, PLAN, _tasks(" ", " "))  # the planner adds tasks during the loop
    eventually(lambda: bool(watcher.queued()))
    _write(sprint, PLAN, _tasks("x", "x"))  # and the loop finishes them
    _write(sprint, "src/app.py", "print('done')\n")
    eventually(lambda: Trigger.SOURCE in paths(watcher.queued()))
    watcher.resume()
    assert watcher.wait(timeout=0) == [Change(Trigger.SOURCE, ("src/app.py",))]


def test_a_malformed_plan_is_a_logged_problem_until_it_parses(
    sprint: Sprint, watcher: Watcher, events: EventLog
) -> None:
    # A repeated ID is read (with a warning) since loop-v2 repos hold them; bytes that are not
    # UTF-8 cannot be read at all.
    (sprint.repo / PLAN).write_bytes(b"- [ ] **BUILD-001**: caf\xe9\n")
    eventually(lambda: any(e["type"] == PROBLEM_EVENT for e in read_events(events.path)))
    problem = next(e for e in read_events(events.path) if e["type"] == PROBLEM_EVENT)
    assert "not valid UTF-8" in problem["message"]
    _write(sprint, PLAN, _tasks(" ", " "))
    assert collect(watcher, has(Trigger.PLAN_PENDING, PLAN)) == [
        Change(Trigger.PLAN_PENDING, (PLAN,))
    ]


def test_new_top_level_directories_and_runtime_prompts_are_watched(
    sprint: Sprint, watcher: Watcher
) -> None:
    (sprint.repo / "lib").mkdir()
    _write(sprint, "lib/util.py", "y = 2\n")
    collect(watcher, has(Trigger.SOURCE, "lib/util.py"))
    _write(sprint, "lib/util.py", "y = 3\n")  # its own watch is in place now
    collect(watcher, has(Trigger.SOURCE, "lib/util.py"))
    _write(sprint, ".loopd/prompts/implement.md", "Implement it.\n")
    collect(watcher, has(Trigger.PROMPTS, ".loopd/prompts/implement.md"))


def test_a_removed_and_recreated_directory_is_watched_again(
    sprint: Sprint, watcher: Watcher
) -> None:
    (sprint.repo / "src/app.py").unlink()
    (sprint.repo / "src").rmdir()
    collect(watcher, has(Trigger.SOURCE, "src/app.py"))
    (sprint.repo / "src").mkdir()
    _write(sprint, "src/app.py", "print('back')\n")
    collect(watcher, has(Trigger.SOURCE, "src/app.py"))
    _write(sprint, "src/app.py", "print('edited')\n")
    collect(watcher, has(Trigger.SOURCE, "src/app.py"))


def test_ignored_directories_cost_no_kernel_watches(sprint: Sprint) -> None:
    for n in range(40):
        (sprint.repo / "build" / f"pkg{n}" / "lib").mkdir(parents=True)
    before = inotify_watches()
    with Watcher(sprint, QUICK):
        watched = inotify_watches() - before
    # root, src/, docs/ and its sprint folders; none of build/'s 81 directories
    assert 0 < watched < 10


def test_each_trigger_is_an_event_saying_whether_it_was_queued(
    sprint: Sprint, watcher: Watcher, events: EventLog
) -> None:
    _write(sprint, "src/app.py", "print('one')\n")
    collect(watcher, has(Trigger.SOURCE, "src/app.py"))
    watcher.pause()
    _write(sprint, "docs/sprints/s1/PRD.md", "# PRD\n\n- More.\n")
    eventually(lambda: bool(watcher.queued()))
    logged = [e for e in read_events(events.path) if e["type"] == WATCH_EVENT]
    assert [(e["trigger"], e["paths"], e["count"], e["queued"]) for e in logged] == [
        ("source", ["src/app.py"], 1, False),
        ("docs", ["docs/sprints/s1/PRD.md"], 1, True),
    ]


def test_stop_leaves_no_thread_running(sprint: Sprint) -> None:
    before = live_threads()
    watcher = Watcher(sprint, QUICK)
    watcher.start()
    assert live_threads() > before
    (sprint.repo / "lib").mkdir()  # one more watch thread
    _write(sprint, "lib/x.py", "x = 1\n")
    collect(watcher, has(Trigger.SOURCE, "lib/x.py"))
    watcher.stop()
    assert live_threads() == before
    watcher.stop()  # twice is harmless


def test_a_disabled_watcher_starts_nothing(sprint: Sprint) -> None:
    before = live_threads()
    with Watcher(sprint, WatchSettings(enabled=False)) as watcher:
        assert live_threads() == before
        _write(sprint, "src/app.py", "print('unseen')\n")
        assert watcher.wait(timeout=0.2) == []


def test_outside_git_every_file_counts_and_the_problem_is_logged(tmp_path: Path) -> None:
    sprint = sprint_for(tmp_path, "docs/sprints", "s1")
    sprint.dir.mkdir(parents=True)
    (tmp_path / "lib").mkdir()
    events = EventLog(tmp_path / "events.jsonl")
    with Watcher(sprint, QUICK, events=events) as watcher:
        _write(sprint, "lib/app.log", "x\n")
        collect(watcher, has(Trigger.SOURCE, "lib/app.log"))
    problems = [e for e in read_events(events.path) if e["type"] == PROBLEM_EVENT]
    assert problems and "check-ignore" in problems[-1]["message"]


def test_wait_returns_to_a_waiting_thread_as_soon_as_a_change_lands(
    sprint: Sprint, watcher: Watcher
) -> None:
    got: list[list[Change]] = []
    waiter = threading.Thread(target=lambda: got.append(watcher.wait(timeout=10)))
    waiter.start()
    _write(sprint, "src/app.py", "print('now')\n")
    waiter.join()
    assert got == [[Change(Trigger.SOURCE, ("src/app.py",))]]


def test_a_renamed_directory_reports_its_files_under_the_new_name(
    sprint: Sprint, watcher: Watcher
) -> None:
    (sprint.repo / "src").rename(sprint.repo / "app")
    found = paths(collect(watcher, has(Trigger.SOURCE, "app/app.py")))
    assert "src" in found[Trigger.SOURCE]
    _write(sprint, "app/app.py", "print('renamed')\n")
    assert paths(collect(watcher, has(Trigger.SOURCE, "app/app.py"))) == {
        Trigger.SOURCE: {"app/app.py"}
    }


def test_a_removed_directory_stops_costing_a_thread(sprint: Sprint) -> None:
    clock = SkippingClock()
    with Watcher(sprint, QUICK, clock) as watcher:
        watching = live_threads()
        (sprint.repo / "tmp-1").mkdir()
        _write(sprint, "tmp-1/x.py", "x = 1\n")
        collect(watcher, has(Trigger.SOURCE, "tmp-1/x.py"))
        assert len(live_threads()) == len(watching) + 1
        (sprint.repo / "tmp-1/x.py").unlink()
        (sprint.repo / "tmp-1").rmdir()
        collect(watcher, has(Trigger.SOURCE, "tmp-1/x.py"))
        clock.sleep(60)
        _write(sprint, SENTINEL, "x = 1\n")
        collect(watcher, has(Trigger.SOURCE, SENTINEL))
        assert live_threads() == watching


def test_a_watcher_that_cannot_start_says_why_and_leaves_nothing_running(tmp_path: Path) -> None:
    before = live_threads()
    sprint = sprint_for(tmp_path / "gone", "docs/sprints", "s1")
    with pytest.raises(LoopdError, match="cannot watch") as failed:
        Watcher(sprint, QUICK).start()
    assert str(tmp_path / "gone") in str(failed.value)
    assert live_threads() == before
