"""The one way loopd runs a subprocess.

Every child runs in its own session, so its process tree is one process group
we can signal, and every stop escalates through a configured ladder, SIGINT ->
SIGTERM -> SIGKILL by default, until nothing of it is left.

A process group is not the whole tree: Claude Code, for one, starts each Bash
tool shell in a session of its own.  So each child also gets a unique token,
appended to ``LOOPD_PROC_IDS`` in its environment, which every descendant
inherits; stopping a child signals its group *and* every process whose
tokens include its own (the way Jenkins' process-tree killer finds a build's
strays).  Tokens accumulate down the tree, so the daemon's token also finds
the agents it started and everything they started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

Argv = Sequence[str]
TOKEN_VAR = "LOOPD_PROC_IDS"
LEFTOVER_GRACE = 2.0
_KILL_ROUNDS = 5
_POLL = 0.02


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
    token: str
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def members(self) -> list[int]:
        """Live processes of this child: its group and everything carrying its token."""
        return sorted(set(_live_in_group(self.pid)) | set(marked(self.token)))

    def alive(self) -> bool:
        self.popen.poll()
        return bool(self.members())


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
    token = uuid.uuid4().hex
    base = os.environ if env is None else env
    inherited = os.environ.get(TOKEN_VAR, "")
    popen = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env={**base, TOKEN_VAR: f"{inherited}:{token}" if inherited else token},
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
    return Spawned(popen=popen, argv=tuple(argv), token=token)


def run(
    argv: Argv,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float | None = None,
    escalation: Escalation | None = None,
    leftover_grace: float = LEFTOVER_GRACE,
) -> Completed:
    """Run ``argv`` to completion; on timeout stop it through ``escalation``.

    The step ends when the leader exits: whatever it left behind (a
    backgrounded server still holding our pipes, say) gets SIGTERM, then
    SIGKILL after ``leftover_grace``, so a finished step never hangs on a
    grandchild and leaves no process running.
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
        finish(child, leftover_grace)
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
    """Escalate through ``escalation``, then SIGKILL whatever is left of ``child``."""
    _ladder(child.alive, lambda sig: _signal(child, sig), escalation)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.popen.wait(timeout=5)
    return child.popen.returncode


def finish(child: Spawned, grace: float = LEFTOVER_GRACE) -> int | None:
    """After the leader has exited: stop what it left behind (SIGTERM, grace, SIGKILL)."""
    return stop(child, Escalation.term_then_kill(grace))


def stop_tree(token: str, escalation: Escalation) -> list[int]:
    """Stop every process carrying ``token`` through ``escalation``, then SIGKILL.

    For processes this one did not start, or whose starter died: a service
    another loopd started, what a killed daemon left running.  Returns the
    pids found at the start.
    """
    found = marked(token)

    def send(sig: signal.Signals) -> None:
        for pid in marked(token):
            _kill_pid(pid, sig)

    _ladder(lambda: bool(marked(token)), send, escalation)
    return found


def _ladder(
    alive: Callable[[], bool], send: Callable[[signal.Signals], None], escalation: Escalation
) -> None:
    """Each rung's signal then its grace while anything is alive; then SIGKILL until nothing is."""
    for sig, grace in escalation.steps:
        if not alive():
            return
        send(sig)
        _wait_until_gone(alive, grace)
    for _ in range(_KILL_ROUNDS):
        if not alive():
            return
        # A shell may fork while it dies: kill again until nothing is left.
        send(signal.SIGKILL)
        _wait_until_gone(alive, 0.5)


def stop_marked(token: str, grace: float = LEFTOVER_GRACE) -> list[int]:
    """Stop everything carrying ``token``: SIGTERM, ``grace`` seconds, SIGKILL."""
    return stop_tree(token, Escalation.term_then_kill(grace))


def _kill_pid(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def marked(token: str) -> list[int]:
    """Live processes other than this one whose environment carries ``token``."""
    me = os.getpid()
    wanted = token.encode()
    return [pid for pid in _all_pids() if pid != me and _carries(pid, wanted) and _is_live(pid)]


def adopt_token() -> str:
    """Give this process a token of its own, inherited by everything it starts.

    A long-lived loopd process (the daemon) calls this once, so that whatever
    it starts, however deep and in whatever session, can be found by it.
    """
    token = uuid.uuid4().hex
    inherited = os.environ.get(TOKEN_VAR, "")
    os.environ[TOKEN_VAR] = f"{inherited}:{token}" if inherited else token
    return token


def own_token() -> str | None:
    """This process's own token, if loopd started it (the last one it inherited)."""
    tokens = os.environ.get(TOKEN_VAR, "")
    return tokens.rsplit(":", 1)[-1] or None


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie has finished)."""
    return _is_live(pid)


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` is still running (zombies excluded)."""
    return bool(_live_in_group(pgid))


def _live_in_group(pgid: int) -> list[int]:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    except PermissionError:
        pass
    return [pid for pid in _all_pids() if _pgid(pid) == pgid and _is_live(pid)]


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in os.scandir("/proc") if entry.name.isdigit()]


def _carries(pid: int, token: bytes) -> bool:
    prefix = f"{TOKEN_VAR}=".encode()
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return token in entry[len(prefix) :].split(b":")
    return False


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


def _is_live(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _wait_until_gone(alive: Callable[[], bool], grace: float) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive():
        time.sleep(_POLL)


def _signal(child: Spawned, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)
    for pid in marked(child.token):
        _kill_pid(pid, sig)


def _decode(data: bytes | None) -> str:
    return data.decode("utf-8", errors="replace") if data else ""
