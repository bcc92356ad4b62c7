"""Filesystem writes that survive a crash, under a lock.

Every file loopd rewrites (plans, LOOP_STATE.md, status.json) goes through
:func:`atomic_write`: a crash leaves either the old or the new content, never
a torn file.  Reads keep line endings exactly (``newline=""``) so an edit can
preserve every byte it does not mean to change.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import filelock

from loopd.errors import LoopdError

DEFAULT_LOCK_TIMEOUT = 30.0


def read_text(path: Path) -> str:
    """Read a UTF-8 text file keeping its line endings as they are."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        raise LoopdError("file not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise LoopdError(f"not valid UTF-8 (byte {exc.start})", path=path) from None
    except OSError as exc:
        raise LoopdError(f"cannot read: {exc.strerror}", path=path) from None


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically and durably.

    Temp file in the same directory (so ``os.replace`` is a rename on one
    filesystem), fsync of the data, rename, then fsync of the directory so the
    rename itself survives a power cut.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(path, Path(tmp))
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise
    _fsync_dir(path.parent)


def _keep_mode(original: Path, tmp: Path) -> None:
    # mkstemp creates 0600; a user's plan should keep the mode it had.
    try:
        mode = original.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    tmp.chmod(mode)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(lock_path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an advisory lock on ``lock_path`` for the block.

    flock-based (filelock's UnixFileLock): the kernel releases it when the
    holder dies, so a lock file left by a killed process never blocks anyone.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(lock_path, timeout=timeout)
    try:
        with lock:
            yield
    except filelock.Timeout:
        raise LoopdError(
            f"timed out after {timeout:g}s waiting for the lock", path=lock_path
        ) from None
