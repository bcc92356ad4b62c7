"""The one way loopd runs a subprocess.

Every child runs in its own session (so its whole process tree is one process
group we can signal), and every stop escalates through a configured ladder,
SIGINT -> SIGTERM -> SIGKILL by default, until no member of the group is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

Argv = Sequence[str]


@dataclass(frozen=True)
class Escalation:
    """Signals sent to a process group in turn, each followed by a grace period."""

    steps: tuple[tuple[signal.Signals, float], ...] = (
        (signal.SIGINT, 2.0),
        (signal.SIGTERM, 5.0),
    )

    @classmethod
    def term_then_kill(cls, grace: float) -> Escalation:
        """The agent contract's ladder: SIGTERM, ``grace`` seconds, SIGKILL."""
        return cls(steps=((signal.SIGTERM, grace),))


@dataclass(frozen=True)
class Completed:
    """The outcome of :func:`run`."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """stdout then stderr, for evidence."""
        if self.stdout and self.stderr:
            return f"{self.stdout.rstrip()}\n{self.stderr}"
        return self.stdout or self.stderr


@dataclass
class Spawned:
    """A running child and the group it leads."""

    popen: subprocess.Popen[bytes]
    argv: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return group_alive(self.popen.pid)


def spawn(
    argv: Argv,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: int | IO[bytes] | None = subprocess.DEVNULL,
    stdout: int | IO[bytes] | None = subprocess.PIPE,
    stderr: int | IO[bytes] | None = subprocess.PIPE,
) -> Spawned:
    """Start ``argv`` as the leader of a new session; raise FileNotFoundError if missing."""
    popen = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
    return Spawned(popen=popen, argv=tuple(argv))


def run(
    argv: Argv,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float | None = None,
    escalation: Escalation | None = None,
) -> Completed:
    """Run ``argv`` to completion; on timeout stop its whole group.

    The step ends when the leader exits: whatever it left behind in its group
    (a backgrounded server still holding our pipes, say) is killed then, so a
    finished step never hangs on a grandchild and leaves no process running.
    """
    child = spawn(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
    )
    io = _PipeThreads(child.popen, input)
    timed_out = False
    try:
        child.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        stop(child, escalation or Escalation())
    finally:
        _kill_group(child.pid)
        child.popen.wait()
    out, err = io.join()
    return Completed(
        argv=child.argv,
        returncode=child.popen.returncode,
        stdout=_decode(out),
        stderr=_decode(err),
        duration=time.monotonic() - child.started,
        timed_out=timed_out,
    )


class _PipeThreads:
    """Feed stdin and drain stdout/stderr concurrently, so no pipe buffer deadlocks."""

    def __init__(self, popen: subprocess.Popen[bytes], input: str | None) -> None:
        self._chunks: dict[str, list[bytes]] = {"out": [], "err": []}
        self._threads = [
            threading.Thread(target=self._drain, args=(popen.stdout, "out"), daemon=True),
            threading.Thread(target=self._drain, args=(popen.stderr, "err"), daemon=True),
        ]
        if input is not None:
            data = input.encode("utf-8")
            self._threads.append(
                threading.Thread(target=self._feed, args=(popen.stdin, data), daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def _drain(self, pipe: IO[bytes] | None, key: str) -> None:
        if pipe is None:
            return
        with pipe:
            while chunk := pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536):
                self._chunks[key].append(chunk)

    @staticmethod
    def _feed(pipe: IO[bytes] | None, data: bytes) -> None:
        if pipe is None:
            return
        # A child that exits without reading all of stdin is its own business.
        with contextlib.suppress(BrokenPipeError, OSError), pipe:
            pipe.write(data)

    def join(self) -> tuple[bytes, bytes]:
        # The group is dead, so every writer is gone and each pipe reaches EOF.
        for thread in self._threads:
            thread.join(timeout=5)
        return b"".join(self._chunks["out"]), b"".join(self._chunks["err"])


def stop(child: Spawned, escalation: Escalation) -> int | None:
    """Escalate through ``escalation`` and finally SIGKILL until the group is gone."""
    for sig, grace in escalation.steps:
        if not child.alive():
            break
        _signal_group(child.pid, sig)
        _wait_group(child, grace)
    _kill_group(child.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.popen.wait(timeout=5)
    return child.popen.returncode


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` is still running (zombies excluded)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return any(_state(pid) not in ("Z", "X", None) for pid in _group_members(pgid))


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and _pgid(int(entry.name)) == pgid:
            members.append(int(entry.name))
    return members


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is parenthesised and may hold spaces: split after it.
    return raw[raw.rfind(")") + 2 :].split()


def _pgid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[2]) if fields else None


def _state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def _wait_group(child: Spawned, grace: float) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        child.popen.poll()
        if not child.alive():
            return
        time.sleep(0.02)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _kill_group(pgid: int) -> None:
    _signal_group(pgid, signal.SIGKILL)


def _decode(data: bytes | None) -> str:
    return data.decode("utf-8", errors="replace") if data else ""
