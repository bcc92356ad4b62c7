"""What a loop run in place (loop-v2's way) does with the user's repository: its notes,
its protected branches.  (By default the loop works in a worktree of its own and does not
touch the checkout at all: tests/integration/test_worktree.py.)
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git
from tests.integration.sprints import install, loopd, state


def test_a_users_untracked_notes_are_never_committed_by_a_run(repo: Path) -> None:
    install(repo, "greeter")
    git(repo, "switch", "-q", "-c", "feature")  # not protected: uncommitted work comes along
    (repo / "notes.md").write_text("call the bank\n")
    (repo / "ideas").mkdir()
    (repo / "ideas" / "later.txt").write_text("dark mode\n")

    done = loopd(repo, "run", "s1", "--in-place")

    assert done.returncode == 0, done.stdout + done.stderr
    loop_files = git(repo, "log", "--format=", "--name-only", "feature..HEAD").split()
    assert "greet.py" in loop_files  # what the agent made is committed
    assert "notes.md" not in loop_files and "ideas/later.txt" not in loop_files
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert status.splitlines() == ["?? ideas/later.txt", "?? notes.md"]


def test_protected_branches_from_loop_config_sh_are_never_worked_on(repo: Path) -> None:
    sprint = install(repo, "greeter")
    git(repo, "switch", "-q", "-c", "trunk")
    (sprint / "loop-config.sh").write_text('PROTECTED_BRANCHES="trunk release"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "trunk is ours")
    (repo / "README.md").write_text("# half-done edit on trunk\n")

    done = loopd(repo, "run", "s1", "--in-place")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "loopd: uncommitted work on trunk" in git(repo, "stash", "list")
    assert git(repo, "log", "-1", "--format=%s", "trunk") == "trunk is ours\n"
    assert state(repo).stashed is not None
