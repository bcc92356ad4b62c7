"""What a crash (``kill -9``, a power cut) leaves behind, cleared when a loop starts.

A git command killed mid-commit leaves its lock files (``.git/index.lock``,
``.git/refs/heads/<branch>.lock``), and every later git command then fails
with "Another git process seems to be running".  An atomic write killed
before its rename leaves its temp file next to the file (see
:func:`loopd.fsio.temp_prefix`): in the sprint's directory, at the top of the
repository (``..gitignore.loopd-<pid>-<random>.tmp``), which the next commit
would pick up, or under ``.loopd/``, where nothing else would ever remove it.
One whose writer is still alive (another sprint's daemon) is kept.  The loop
holds the sprint's daemon lock when it clears them, so no other loop of this
sprint is writing; a git lock is only removed when no
git process runs in the repository (a user's ``git commit`` waiting for its
editor keeps its lock).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from loopd import fsio
from loopd.sprint import RUNTIME_DIR

_PROC = Path("/proc")


def clear_leftovers(repo: Path, sprint_dir: Path) -> list[str]:
    """Remove stale git locks and loopd's orphaned temp files; say what went."""
    removed = [*_stale_git_locks(repo), *_orphaned_temps(repo, sprint_dir)]
    for path in removed:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return [
        str(path.relative_to(repo)) if path.is_relative_to(repo) else str(path) for path in removed
    ]


def _git_dir(repo: Path) -> Path | None:
    """``repo/.git``, or for a worktree (``.git`` is a file) its own git directory.

    A worktree's refs are shared with the user's checkout: only the locks of
    its own directory (index, HEAD) are the loop's to clear.
    """
    dot = repo / ".git"
    if dot.is_dir():
        return dot
    text = dot.read_text(errors="replace").strip() if dot.is_file() else ""
    if not text.startswith("gitdir:"):
        return None
    path = Path(text.removeprefix("gitdir:").strip())
    return path if path.is_absolute() else repo / path


def _stale_git_locks(repo: Path) -> list[Path]:
    git_dir = _git_dir(repo)
    if git_dir is None or not git_dir.is_dir():
        return []
    locks = [p for p in git_dir.glob("*.lock") if p.is_file()]
    locks += [p for p in (git_dir / "refs").rglob("*.lock") if p.is_file()]
    if not locks or _git_running_in(repo):
        return []
    return locks


def _git_running_in(repo: Path) -> bool:
    """Whether a live ``git`` process works in ``repo`` (by its working directory)."""
    root = repo.resolve()
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "comm").read_text().strip() != "git":
                continue
            cwd = (entry / "cwd").resolve()
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            return True
    return False


def _orphaned_temps(repo: Path, sprint_dir: Path) -> list[Path]:
    # In the sprint's own places any ".<name>.<random>.tmp" is ours (an older loopd's names
    # had no pid); elsewhere only the temp files of a writer that is gone.
    own = [*sprint_dir.glob(".*.tmp"), *repo.glob("..gitignore.*.tmp")]
    runtime = repo / RUNTIME_DIR
    if runtime.is_dir():
        own += (runtime / sprint_dir.name).rglob(".*.tmp")
        own += (p for p in runtime.rglob(".*.tmp") if fsio.is_orphaned_temp(p))
    own += (p for p in repo.glob(f".*{fsio.TEMP_MARKER}*.tmp") if fsio.is_orphaned_temp(p))
    alive = {p for p in own if fsio.is_temp_name(p.name) and not fsio.is_orphaned_temp(p)}
    return sorted({p for p in own if p.is_file() and p not in alive})
