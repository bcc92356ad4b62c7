"""Low-level git access for the seam: one ``Repo`` per operation, errors as LoopdError.

GitPython keeps ``git cat-file`` helper processes alive for as long as a
``Repo`` object lives, so a long-running daemon that held one would collect
them; every operation here opens the repository, works, and closes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from git import Repo
from git.exc import InvalidGitRepositoryError, NoSuchPathError

from loopd.errors import LoopdError

# Files git leaves in .git while an operation waits for the user, and what it is.
_IN_PROGRESS = (
    ("rebase-merge", "a rebase"),
    ("rebase-apply", "a rebase or git am"),
    ("MERGE_HEAD", "a merge"),
    ("CHERRY_PICK_HEAD", "a cherry-pick"),
    ("REVERT_HEAD", "a revert"),
    ("BISECT_LOG", "a bisect"),
)


@contextmanager
def opened(path: Path) -> Iterator[Repo]:
    """The repository at ``path``, closed (with its helper processes) on exit."""
    try:
        repo = Repo(path)
    except (InvalidGitRepositoryError, NoSuchPathError):
        raise LoopdError(
            "not a git repository", path=path, hint="run `git init` there first"
        ) from None
    with repo:
        yield repo


def call(repo: Repo, *args: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``git <args>`` in ``repo``; return (status, stdout, stderr) whatever the status."""
    argv = [repo.git.GIT_PYTHON_GIT_EXECUTABLE, *args]
    status, out, err = repo.git.execute(
        argv, with_extended_output=True, with_exceptions=False, env=env
    )
    return status, out, err


def require(path: Path) -> None:
    """LoopdError unless ``path`` is in a git repository (checked before a loop starts)."""
    with opened(path):
        pass


def git(repo: Repo, *args: str) -> str:
    """Run ``git <args>`` in ``repo``; its stdout, or a LoopdError with git's own message."""
    status, out, err = call(repo, *args)
    if status != 0:
        raise LoopdError(
            f"git {args[0]} failed: {(err or out).strip()}", path=Path(repo.working_dir)
        )
    return out


def split_z(text: str) -> list[str]:
    """The entries of NUL-separated git output."""
    return [part for part in text.split("\0") if part]


def head_sha(repo: Repo) -> str | None:
    """The commit HEAD points at; None before the first commit."""
    status, out, _ = call(repo, "rev-parse", "-q", "--verify", "HEAD^{commit}")
    return out.strip() if status == 0 else None


def branch_of(repo: Repo) -> str | None:
    """The checked-out branch (also when it has no commits yet); None on a detached HEAD."""
    status, out, _ = call(repo, "symbolic-ref", "-q", "--short", "HEAD")
    return out.strip() if status == 0 else None


def settled_branch(repo: Repo, doing: str) -> str:
    """The current branch, or a LoopdError if git is mid-operation or HEAD is detached."""
    git_dir = Path(repo.git_dir)
    for name, what in _IN_PROGRESS:
        if (git_dir / name).exists():
            raise LoopdError(
                f"cannot {doing}: the repository is in the middle of {what}",
                path=Path(repo.working_dir),
                hint="finish it or abort it with git first",
            )
    branch = branch_of(repo)
    if branch is None:
        raise LoopdError(
            f"cannot {doing}: HEAD is detached (no branch is checked out)",
            path=Path(repo.working_dir),
            hint="check out a branch first, e.g. `git switch main`",
        )
    return branch
