"""What a loop commit stages: the loop's changes, never a user's untracked notes.

Staged: tracked changes, untracked files in the sprint's directory, untracked
files that appeared during the step.  Protected branches come from the config.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.config import GitSettings
from loopd.errors import LoopdError
from loopd.events import EventLog
from loopd.gitseam import GitSeam
from tests.conftest import git
from tests.gitseam.conftest import FixedClock, events_of, on_loop_branch

SPRINT = Path("docs/sprints/s1")


def seam_for(repo: Path, *protected: str) -> GitSeam:
    """A seam as the loop builds it: sprint dir and baseline file set."""
    events = EventLog(repo / ".loopd" / "s1" / "events.jsonl")
    settings = GitSettings(protected_branches=protected) if protected else GitSettings()
    return GitSeam(
        repo,
        settings,
        events,
        FixedClock(),
        sprint_dir=repo / SPRINT,
        baseline_file=repo / ".loopd" / "s1" / "untracked.json",
    )


@pytest.fixture
def work(repo: Path) -> Path:
    """On a loop branch, .loopd/ ignored, a user's untracked notes lying around."""
    on_loop_branch(repo)
    (repo / ".gitignore").write_text(".loopd/\n")
    (repo / "old.txt").write_text("old\n")
    git(repo, "add", ".gitignore", "old.txt")
    git(repo, "commit", "-q", "-m", "ignore runtime")
    (repo / "notes.md").write_text("my notes, not for git\n")
    (repo / "scratch").mkdir()
    (repo / "scratch" / "todo.txt").write_text("later\n")
    (repo / SPRINT).mkdir(parents=True)
    (repo / SPRINT / "my-sprint-notes.md").write_text("sprint notes\n")
    return repo


def untracked(repo: Path) -> set[str]:
    out = git(repo, "status", "--porcelain", "--untracked-files=all")
    return {line[3:] for line in out.splitlines() if line.startswith("??")}


def committed(repo: Path) -> set[str]:
    return set(git(repo, "log", "--format=", "--name-only", "HEAD").split())


def test_a_users_untracked_notes_stay_out_of_the_loops_commit(work: Path) -> None:
    seam = seam_for(work)
    seam.begin_step("implement")
    # What the step's agent does: edits, a deletion, new files in and out of the sprint.
    (work / "README.md").write_text("# project\n\nbuilt\n")
    (work / "old.txt").unlink()
    (work / "src").mkdir()
    (work / "src" / "app.py").write_text("print('hi')\n")
    (work / SPRINT / "IMPLEMENTATION_PLAN.md").write_text("- [x] **BUILD-001**: app\n")

    result = seam.auto_commit("loopd(implement): BUILD-001 done")

    assert result is not None and result.sha is not None
    assert sorted(result.files) == [
        "README.md",
        f"{SPRINT}/IMPLEMENTATION_PLAN.md",
        f"{SPRINT}/my-sprint-notes.md",  # the sprint's directory goes in whole, as in loop-v2
        "old.txt",
        "src/app.py",
    ]
    assert untracked(work) == {"notes.md", "scratch/todo.txt"}
    assert "notes.md" not in committed(work)
    assert result.left_untracked == ("notes.md", "scratch/todo.txt")
    assert events_of(seam, "git_commit")[0]["untracked_left"] == 2


def test_only_the_users_notes_untracked_is_nothing_to_commit(work: Path) -> None:
    git(work, "add", str(SPRINT))
    git(work, "commit", "-q", "-m", "sprint")
    seam = seam_for(work)
    seam.begin_step("vrc1")
    assert seam.auto_commit("loopd(planning): nothing") is None
    assert untracked(work) == {"notes.md", "scratch/todo.txt"}


def test_a_step_run_again_after_a_crash_still_commits_what_its_agent_made(work: Path) -> None:
    seam_for(work).begin_step("implement")
    (work / "src").mkdir()
    (work / "src" / "app.py").write_text("print('hi')\n")  # then the daemon is killed

    again = seam_for(work)  # a new process
    again.begin_step("implement", resumed=True)
    result = again.auto_commit("loopd(implement): BUILD-001 done")

    assert result is not None and "src/app.py" in result.files
    assert untracked(work) == {"notes.md", "scratch/todo.txt"}


def test_a_new_step_notes_what_is_untracked_when_it_begins(work: Path) -> None:
    seam = seam_for(work)
    seam.begin_step("implement")
    (work / "src").mkdir()
    (work / "src" / "app.py").write_text("print('hi')\n")
    # Resumed in another step than the one saved: the files there now were there before it.
    fresh = seam_for(work)
    fresh.begin_step("testing", resumed=True)
    (work / "README.md").write_text("# changed\n")
    result = fresh.auto_commit("loopd(testing): x")
    assert result is not None and "src/app.py" not in result.files
    assert "README.md" in result.files


def test_protected_branches_come_from_the_config(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "trunk")
    (repo / "README.md").write_text("# edited on trunk\n")
    seam = seam_for(repo, "trunk", "release")
    with pytest.raises(LoopdError, match="protected branch trunk"):
        seam.auto_commit("loopd(implement): a")

    setup = seam.setup_branch("s1")
    assert setup.stash is not None and setup.stash.branch == "trunk"
    assert git(repo, "stash", "list").count("loopd: uncommitted work on trunk") == 1


def test_main_is_not_protected_when_the_config_says_otherwise(repo: Path) -> None:
    (repo / "README.md").write_text("# edited on main\n")
    setup = seam_for(repo, "trunk").setup_branch("s1")
    # Not stashed: the edit goes along to the loop branch, as on any other branch.
    assert setup.stash is None
    assert (repo / "README.md").read_text() == "# edited on main\n"


def test_the_gitignore_loopd_writes_is_committed_at_once_and_alone(repo: Path) -> None:
    on_loop_branch(repo)
    (repo / "notes.md").write_text("the user's\n")
    seam = seam_for(repo)
    seam.begin_step("setup_branch")
    assert ".loopd/" in seam.ensure_gitignore()  # a new, untracked .gitignore
    # Left uncommitted, it would follow a `git switch` back and block `git stash apply`.
    subject, _, *files = git(repo, "show", "--name-only", "--format=%s", "HEAD").splitlines()
    assert subject.startswith("loopd: .gitignore ignores .env, ") and subject.endswith(".loopd/")
    assert files == [".gitignore"]
    assert git(repo, "status", "--porcelain") == "?? notes.md\n"
