"""A user's checkout with work in progress, and a byte-exact picture of it to compare."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import git


@dataclass(frozen=True)
class Checkout:
    """Everything of the user's checkout a loop could change."""

    files: dict[str, str]  # path -> sha256, every file outside .git
    index: str  # sha256 of .git/index: what is staged
    head: str  # .git/HEAD: the branch checked out
    commit: str
    stash: str
    branches: str


def picture(repo: Path) -> Checkout:
    files = {
        str(path.relative_to(repo)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }
    return Checkout(
        files=files,
        index=hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest(),
        head=(repo / ".git" / "HEAD").read_text(),
        commit=git(repo, "rev-parse", "HEAD"),
        stash=git(repo, "stash", "list"),
        branches=git(repo, "branch", "--list"),
    )


def work_in_progress(repo: Path) -> None:
    """A sprint committed on main, then an unstaged edit, a staged file and an untracked note."""
    sprint = repo / "docs" / "sprints" / "s1"
    sprint.mkdir(parents=True, exist_ok=True)
    (sprint / "VISION.md").write_text("# Vision\n\nA greeter people love.\n")
    (sprint / "PRD.md").write_text("# PRD\n\n- It greets.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "sprint s1")
    (repo / "README.md").write_text("# project\n\nhalf-written paragraph\n")
    (repo / "staged.txt").write_text("staged, not committed\n")
    git(repo, "add", "staged.txt")
    (repo / "notes.txt").write_text("my own notes\n")
