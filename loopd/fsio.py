"""Filesystem writes that survive a crash, under a lock.

Every file loopd rewrites (plans, LOOP_STATE.md, status.json) goes through
:func:`atomic_write`: a crash leaves either the old or the new content, never
a torn file.  It also remembers what it wrote, so the file watcher can tell
loopd's own writes (:func:`is_own_write`) from a person's edits.  Reads keep
line endings exactly (``newline=""``) so an edit can preserve every byte it
does not mean to change.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import filelock

from loopd import crashpoint
from loopd.errors import LoopdError

DEFAULT_LOCK_TIMEOUT = 30.0
OWN_WRITES_KEPT = 256


class _OwnWrites:
    """The content hash of the last :func:`atomic_write` to each path, newest 256 paths."""

    def __init__(self) -> None:
        self._digests: OrderedDict[Path, str] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, path: Path, data: bytes) -> None:
        key, digest = path.resolve(), hashlib.sha256(data).hexdigest()
        with self._lock:
            self._digests.pop(key, None)
            self._digests[key] = digest
            while len(self._digests) > OWN_WRITES_KEPT:
                self._digests.popitem(last=False)

    def get(self, path: Path) -> str | None:
        with self._lock:
            return self._digests.get(path.resolve())


_OWN_WRITES = _OwnWrites()


def is_own_write(path: Path) -> bool:
    """Whether ``path`` holds exactly what this process last wrote there with atomic_write.

    Compared by content, so a person's edit after loopd's write is not loopd's.
    """
    digest = _OWN_WRITES.get(path)
    if digest is None:
        return False
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return hashlib.sha256(data).hexdigest() == digest


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


# atomic_write's temp files: ".<name>.loopd-<pid>-<random>.tmp".  The marker tells them
# from a user's own files (never committed, see gitseam.untracked), the pid whether
# their writer is gone (a kill between mkstemp and the rename: then they are litter).
TEMP_MARKER = ".loopd-"
TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"\..+\.loopd-(\d+)-[^/]*\.tmp")


def temp_prefix(name: str) -> str:
    return f".{name}{TEMP_MARKER}{os.getpid()}-"


def is_temp_name(name: str) -> bool:
    """True for the name of one of atomic_write's temp files."""
    return _TEMP_NAME.fullmatch(name) is not None


def is_orphaned_temp(path: Path) -> bool:
    """True for an atomic_write temp file whose writer is no longer alive."""
    match = _TEMP_NAME.fullmatch(path.name)
    if match is None:
        return False
    pid = int(match.group(1))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically and durably.

    Temp file in the same directory (so ``os.replace`` is a rename on one
    filesystem), fsync of the data, rename, then fsync of the directory so the
    rename itself survives a power cut.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """:func:`atomic_write` of bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(path, Path(tmp))
        # Before the rename: a watcher may look the moment the new name appears.
        _OWN_WRITES.record(path, data)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise
    _fsync_dir(path.parent)
    crashpoint.reached(f"write:{path.name}")


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
