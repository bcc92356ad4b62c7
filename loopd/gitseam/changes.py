"""What changed since a commit: the commits made since, plus the uncommitted rest.

An agent may commit its own work, leave it uncommitted, or both; a fix
attempt's history needs all of it, so the diff runs from the base commit to
the working tree and untracked files are counted as well.
"""

from __future__ import annotations

from pathlib import Path

from git import Repo

from loopd.errors import LoopdError
from loopd.gitseam.repo import call, git, head_sha, opened, split_z
from loopd.gitseam.results import CommitInfo, DiffSummary, FileChange

# Untracked files are counted from their start only; past this they count as binary.
_COUNT_BYTES = 8 * 1024 * 1024
_BINARY_PROBE = 8000


def changes_since(path: Path, base: str | None) -> DiffSummary:
    """Commits in ``base..HEAD`` and every file changed since ``base`` (None: since nothing)."""
    with opened(path) as repo:
        head = head_sha(repo)
        start = _verified(repo, base) if base else None
        commits = _commits(repo, start) if head else ()
        tree = start or git(repo, "hash-object", "-t", "tree", "/dev/null").strip()
        files = _tracked(repo, tree) + _untracked(repo, path)
    return DiffSummary(start, head, commits, tuple(sorted(files, key=lambda f: f.path)))


def _verified(repo: Repo, base: str) -> str:
    status, out, _ = call(repo, "rev-parse", "-q", "--verify", f"{base}^{{commit}}")
    if status != 0:
        raise LoopdError(f"{base!r} is not a commit in this repository")
    return out.strip()


def _commits(repo: Repo, start: str | None) -> tuple[CommitInfo, ...]:
    span = f"{start}..HEAD" if start else "HEAD"
    out = git(repo, "log", "-z", "--reverse", "--format=%H %s", span, "--")
    return tuple(CommitInfo(*entry.strip().partition(" ")[::2]) for entry in split_z(out))


def _tracked(repo: Repo, tree: str) -> list[FileChange]:
    out = git(repo, "diff", "--numstat", "-z", "--no-renames", tree, "--")
    changes = []
    for entry in split_z(out):
        added, deleted, name = entry.split("\t", 2)
        binary = added == "-"
        changes.append(
            FileChange(name, None if binary else int(added), None if binary else int(deleted))
        )
    return changes


def _untracked(repo: Repo, path: Path) -> list[FileChange]:
    out = git(repo, "ls-files", "--others", "--exclude-standard", "-z")
    return [_new_file(path, name) for name in split_z(out)]


def _new_file(root: Path, name: str) -> FileChange:
    lines = _lines(root / name)
    return FileChange(name, lines, None if lines is None else 0, untracked=True)


def _lines(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            data = handle.read(_COUNT_BYTES + 1)
    except OSError:
        return None
    if len(data) > _COUNT_BYTES or b"\0" in data[:_BINARY_PROBE]:
        return None
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
