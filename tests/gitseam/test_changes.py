"""changes_since and the small queries: what a fix attempt changed, committed or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.gitseam import FileChange, GitSeam
from tests.conftest import git
from tests.gitseam.conftest import make_seam


def test_an_agent_that_committed_some_work_and_left_the_rest(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    base = loop_seam.head()
    (repo / "fix.py").write_text("a = 1\nb = 2\n")
    git(repo, "add", "fix.py")
    git(repo, "commit", "-q", "-m", "agent: fix the parser")
    (repo / "README.md").write_text("# project\nrewritten\n")
    (repo / "new.txt").write_text("one\ntwo\nthree")

    summary = loop_seam.changes_since(base)

    assert [c.subject for c in summary.commits] == ["agent: fix the parser"]
    assert summary.head == loop_seam.head()
    assert summary.files == (
        FileChange("README.md", 1, 0),
        FileChange("fix.py", 2, 0),
        FileChange("new.txt", 3, 0, untracked=True),
    )
    assert loop_seam.changed_files_since(base) == ["README.md", "fix.py", "new.txt"]
    stat = summary.stat()
    assert "agent: fix the parser" in stat
    assert "3 file(s) changed, 6 insertion(s)(+), 0 deletion(s)(-)" in stat


def test_deletions_and_binary_files_are_counted(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    base = loop_seam.head()
    (repo / "README.md").unlink()
    (repo / "blob.bin").write_bytes(b"\0\1\2")
    summary = loop_seam.changes_since(base)
    assert summary.files == (
        FileChange("README.md", 0, 1),
        FileChange("blob.bin", None, None, untracked=True),
    )
    assert summary.stat().splitlines() == [
        " README.md | +0 -1",
        " blob.bin  | binary (untracked)",
        " 2 file(s) changed, 0 insertion(s)(+), 1 deletion(s)(-)",
    ]


def test_no_changes_since_head(loop_seam: GitSeam) -> None:
    summary = loop_seam.changes_since(loop_seam.head())
    assert (summary.commits, summary.files, summary.stat()) == ((), (), "no changes")


def test_an_unknown_base_is_an_error(loop_seam: GitSeam) -> None:
    with pytest.raises(LoopdError, match="not a commit"):
        loop_seam.changes_since("0" * 40)


def test_a_repo_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.txt").write_text("a\n")
    seam = make_seam(tmp_path)
    assert (seam.head(), seam.current_branch(), seam.is_dirty()) == (None, "main", True)
    summary = seam.changes_since(None)
    assert "a.txt" in summary.paths
    assert summary.commits == ()


def test_branch_head_and_dirt(repo: Path) -> None:
    seam = make_seam(repo)
    assert seam.current_branch() == "main"
    assert seam.head() == git(repo, "rev-parse", "HEAD").strip()
    assert not seam.is_dirty()
    (repo / "x").write_text("x")
    assert seam.is_dirty()
    git(repo, "switch", "-q", "--detach")
    assert seam.current_branch() is None


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(LoopdError, match="not a git repository"):
        make_seam(tmp_path / "missing").head()
