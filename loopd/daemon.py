"""One daemon per sprint: its lock, its pid file, and how it is told to stop.

The lock (``.loopd/<sprint>/lock``) is an flock held for the daemon's whole
life, so it dies with the process: a killed daemon never blocks the next
start.  ``daemon.pid`` says who holds it, with the daemon's process token so
``loopd stop --now`` can find everything it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import filelock

from loopd import fsio, proc
from loopd.errors import LoopdError
from loopd.sprint import Sprint


@dataclass(frozen=True)
class DaemonInfo:
    pid: int
    token: str | None


class Interrupted(Exception):
    """The daemon was asked to stop (SIGTERM from ``loopd stop``, or Ctrl-C)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def lock_path(sprint: Sprint) -> Path:
    return sprint.runtime / "lock"


def pid_path(sprint: Sprint) -> Path:
    return sprint.runtime / "daemon.pid"


def log_path(sprint: Sprint) -> Path:
    return sprint.runtime / "daemon.log"


def read_info(sprint: Sprint) -> DaemonInfo | None:
    try:
        data = json.loads(pid_path(sprint).read_text())
        return DaemonInfo(int(data["pid"]), data.get("token"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running(sprint: Sprint) -> DaemonInfo | None:
    """The live daemon of ``sprint``, if one holds its lock."""
    lock = filelock.FileLock(lock_path(sprint), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return read_info(sprint) or DaemonInfo(pid=0, token=None)
    lock.release()
    return None


def already_running(sprint: Sprint, holder: DaemonInfo | None) -> LoopdError:
    """The error for a start that finds another daemon holding the sprint."""
    who = f"pid {holder.pid}" if holder and holder.pid else "another process"
    name = sprint.name
    return LoopdError(
        f"sprint {name} is already running ({who})",
        hint=f"follow it: loopd logs -f {name}; stop it: loopd stop {name}",
    )


@contextlib.contextmanager
def hold(sprint: Sprint) -> Iterator[list[int]]:
    """Be the sprint's one daemon for the block, or say who already is.

    A daemon killed hard (``kill -9``, a power cut) cannot stop its agent or
    services, which run in sessions of their own; its daemon.pid is still
    there, with its token.  Everything carrying that token is stopped before
    this daemon starts, so no stale agent edits the repo alongside a new one.
    The block receives the pids that were stopped.
    """
    lock_path(sprint).parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(lock_path(sprint), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise already_running(sprint, read_info(sprint)) from None
    try:
        reaped = _reap_predecessor(sprint)
        mine = {"pid": os.getpid(), "token": proc.adopt_token()}
        fsio.atomic_write(pid_path(sprint), json.dumps(mine) + "\n")
        yield reaped
    finally:
        with contextlib.suppress(FileNotFoundError):
            pid_path(sprint).unlink()
        lock.release()


def _reap_predecessor(sprint: Sprint) -> list[int]:
    stale = read_info(sprint)
    if stale is None or not stale.token or stale.pid == os.getpid():
        return []
    return proc.stop_marked(stale.token)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`Interrupted` in the main thread for the block."""

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
