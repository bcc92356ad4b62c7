"""Branch setup on real repositories: stash on protected branches, resume, create, refuse."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from loopd.errors import LoopdError
from tests.conftest import git
from tests.gitseam.conftest import NOW, events_of, make_seam, on_loop_branch

STAMP = f"{NOW.astimezone():%Y%m%d-%H%M%S}"


def branch(repo: Path) -> str:
    return git(repo, "branch", "--show-current").strip()


def commit_on(repo: Path, name: str, date: str) -> None:
    """Create branch ``name`` from main with one commit dated ``date``, and go back."""
    git(repo, "switch", "-q", "-c", name, "main")
    (repo / "work.txt").write_text(name)
    git(repo, "add", "work.txt")
    env = {**os.environ, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date}
    subprocess.run(["git", "commit", "-q", "-m", name], cwd=repo, env=env, check=True)
    git(repo, "switch", "-q", "main")


def test_dirty_main_is_stashed_and_the_restore_command_brings_it_back(repo: Path) -> None:
    (repo / "README.md").write_text("# project\n\nmy edit\n")
    (repo / "notes.txt").write_text("my untracked notes\n")
    seam = make_seam(repo)

    setup = seam.setup_branch("s1")

    assert setup.branch == branch(repo) == f"loop-v2/s1-{STAMP}"
    assert (setup.action, setup.previous) == ("created", "main")
    assert (repo / "README.md").read_text() == "# project\n"
    assert not (repo / "notes.txt").exists()
    assert setup.stash is not None
    assert events_of(seam, "git_stash")[0]["restore"] == setup.stash.restore_command
    subprocess.run(["bash", "-c", setup.stash.restore_command], cwd=repo, check=True)
    assert branch(repo) == "main"
    assert (repo / "README.md").read_text() == "# project\n\nmy edit\n"
    assert (repo / "notes.txt").read_text() == "my untracked notes\n"


def test_the_sprint_documents_and_runtime_dir_go_along_instead_of_being_stashed(
    repo: Path, sprint_dir: Path
) -> None:
    (repo / ".loopd" / "s1").mkdir(parents=True)
    (repo / ".loopd" / "s1" / "lock").write_text("")
    (repo / "scratch.txt").write_text("mine\n")

    setup = make_seam(repo).setup_branch("s1", keep=[sprint_dir])

    assert setup.stash is not None
    assert (sprint_dir / "VISION.md").exists()
    assert (repo / ".loopd" / "s1" / "lock").exists()
    assert not (repo / "scratch.txt").exists()


def test_an_ignored_runtime_dir_does_not_break_the_stash(repo: Path, sprint_dir: Path) -> None:
    # The newcomer's path: `loopd init` added .loopd/ to an uncommitted
    # .gitignore, and the daemon has written under .loopd/ already.
    (repo / ".gitignore").write_text(".loopd/\n")
    git(repo, "add", ".gitignore")
    (repo / ".loopd" / "s1").mkdir(parents=True)
    (repo / ".loopd" / "s1" / "events.jsonl").write_text("")
    (repo / "scratch.txt").write_text("mine\n")

    setup = make_seam(repo).setup_branch("s1", keep=[sprint_dir, repo / ".loopd"])

    assert setup.stash is not None and branch(repo) == setup.branch
    assert (sprint_dir / "VISION.md").exists() and (repo / ".loopd/s1/events.jsonl").exists()
    assert not (repo / "scratch.txt").exists() and not (repo / ".gitignore").exists()
    subprocess.run(["bash", "-c", setup.stash.restore_command], cwd=repo, check=True)
    assert (repo / "scratch.txt").read_text() == "mine\n"
    assert (repo / ".gitignore").read_text() == ".loopd/\n"


def test_clean_main_gets_a_new_branch_without_a_stash(repo: Path) -> None:
    seam = make_seam(repo)
    setup = seam.setup_branch("s1")
    assert (setup.branch, setup.stash) == (f"loop-v2/s1-{STAMP}", None)
    assert events_of(seam, "git_stash") == []
    assert events_of(seam, "git_branch")[0]["branch"] == setup.branch


def test_the_newest_loop_branch_by_commit_date_is_resumed(repo: Path) -> None:
    commit_on(repo, "loop-v2/s1-20250101-000000", "2025-06-01T00:00:00Z")
    commit_on(repo, "loop-v2/s1-20250301-000000", "2025-02-01T00:00:00Z")
    commit_on(repo, "loop-v2/s1-extra-20250901-000000", "2025-09-01T00:00:00Z")

    setup = make_seam(repo).setup_branch("s1")

    assert (setup.branch, setup.action) == ("loop-v2/s1-20250101-000000", "resumed")
    assert branch(repo) == setup.branch


def test_the_current_loop_branch_is_kept_with_its_uncommitted_work(repo: Path) -> None:
    name = on_loop_branch(repo)
    (repo / "wip.txt").write_text("agent work\n")

    setup = make_seam(repo).setup_branch("s1")

    assert (setup.branch, setup.action, setup.stash) == (name, "current", None)
    assert (repo / "wip.txt").exists()


def test_a_custom_prefix_names_and_finds_the_branches(repo: Path) -> None:
    commit_on(repo, "loop-v2/s1-20250101-000000", "2025-06-01T00:00:00Z")
    seam = make_seam(repo, branch_prefix="sprints")

    first = seam.setup_branch("s1")
    git(repo, "switch", "-q", "main")
    second = seam.setup_branch("s1")

    assert (first.branch, first.action) == (f"sprints/s1-{STAMP}", "created")
    assert (second.branch, second.action) == (first.branch, "resumed")


def test_a_detached_head_is_refused_and_nothing_moves(repo: Path) -> None:
    git(repo, "switch", "-q", "--detach", "HEAD")
    (repo / "README.md").write_text("edit\n")
    with pytest.raises(LoopdError, match="HEAD is detached"):
        make_seam(repo).setup_branch("s1")
    assert (repo / "README.md").read_text() == "edit\n"
    assert git(repo, "stash", "list") == ""


def test_a_merge_in_progress_is_refused(repo: Path) -> None:
    commit_on(repo, "other", "2025-01-01T00:00:00Z")
    (repo / "work.txt").write_text("conflicting\n")
    git(repo, "add", "work.txt")
    git(repo, "commit", "-q", "-m", "conflict")
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo, capture_output=True, check=False)
    with pytest.raises(LoopdError, match="middle of a merge"):
        make_seam(repo).setup_branch("s1")
    assert branch(repo) == "main"


def test_a_failed_switch_puts_the_stashed_work_back(repo: Path) -> None:
    commit_on(repo, "loop-v2/s1-20250101-000000", "2025-06-01T00:00:00Z")
    (repo / "README.md").write_text("my edit\n")
    # Carried along but in the way: the loop branch has a committed file work.txt, and
    # here it is a directory (a carried file the branch tracks is carried over instead).
    (repo / "work.txt").mkdir()
    (repo / "work.txt/notes").write_text("untracked here\n")

    with pytest.raises(LoopdError, match="back in place"):
        make_seam(repo).setup_branch("s1", keep=[Path("work.txt")])

    assert branch(repo) == "main"
    assert (repo / "README.md").read_text() == "my edit\n"
    assert (repo / "work.txt/notes").read_text() == "untracked here\n"


def test_a_sprint_name_git_cannot_use_is_refused_before_anything_changes(repo: Path) -> None:
    (repo / "README.md").write_text("edit\n")
    with pytest.raises(LoopdError, match="not a valid git branch name"):
        make_seam(repo).setup_branch("bad..name")
    assert (repo / "README.md").read_text() == "edit\n"


def test_a_repo_without_commits_gets_the_branch_and_keeps_its_files(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@loopd.invalid")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "app.py").write_text("print('hi')\n")
    seam = make_seam(tmp_path)

    setup = seam.setup_branch("s1")
    result = seam.auto_commit("loopd(plan): first")

    assert (setup.unborn, setup.stash, branch(tmp_path)) == (True, None, setup.branch)
    assert result is not None
    assert "app.py" in result.files
    assert git(tmp_path, "branch", "--list", "main") == ""


def test_after_an_agent_checked_out_main_the_next_start_goes_back_with_the_newest_files(
    repo: Path,
) -> None:
    # The loop branch tracks the sprint's state and plan; an agent ran `git checkout main`
    # and loopd then wrote both again (untracked on main).  Before: "git switch ... failed:
    # untracked working tree files would be overwritten", on every start.
    sprint = repo / "docs/sprints/s1"
    name = on_loop_branch(repo)
    sprint.mkdir(parents=True)
    (sprint / "LOOP_STATE.md").write_text("phase: 1\n")
    (sprint / "IMPLEMENTATION_PLAN.md").write_text("- [ ] **BUILD-001**: a\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "loopd: state")
    git(repo, "checkout", "-q", "main")  # the agent
    sprint.mkdir(parents=True)
    (sprint / "LOOP_STATE.md").write_text("phase: 4\n")
    (sprint / "IMPLEMENTATION_PLAN.md").write_text("- [x] **BUILD-001**: a\n")

    setup = make_seam(repo).setup_branch("s1", keep=[sprint])

    assert (setup.branch, setup.action) == (name, "resumed") and branch(repo) == name
    assert (sprint / "LOOP_STATE.md").read_text() == "phase: 4\n"
    assert (sprint / "IMPLEMENTATION_PLAN.md").read_text() == "- [x] **BUILD-001**: a\n"
    assert git(repo, "status", "--short", "--", "docs").split() == [
        "M",
        "docs/sprints/s1/IMPLEMENTATION_PLAN.md",
        "M",
        "docs/sprints/s1/LOOP_STATE.md",
    ]
