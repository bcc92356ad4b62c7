"""Leftovers of a killed loop, cleared at the next start: also in the sprint's worktree."""

from __future__ import annotations

from pathlib import Path

from loopd.engine.recovery import clear_leftovers
from tests.conftest import git


def test_a_stale_index_lock_in_the_sprints_worktree_is_cleared(repo: Path) -> None:
    tree = repo / ".loopd/worktrees/s1"
    git(repo, "worktree", "add", "-q", "-b", "loop-v2/s1-20260101-000000", str(tree))
    private = Path(git(tree, "rev-parse", "--absolute-git-dir").strip())
    (private / "index.lock").write_text("")  # a commit killed by kill -9
    (repo / "README.md").write_text("# the user's edit\n")

    removed = clear_leftovers(tree, tree / "docs/sprints/s1")

    assert removed == [str(private / "index.lock")]
    (tree / "new.txt").write_text("x\n")
    git(tree, "add", "new.txt")  # git works there again
    assert (repo / "README.md").read_text() == "# the user's edit\n"
