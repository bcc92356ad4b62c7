"""Run one agent command so that nothing it starts outlives it, ``setsid env -i`` included.

loopd finds an agent's processes by process group and by the marker in their
environment (:mod:`loopd.proc`).  ``setsid env -i cmd &`` escapes both: a new
session and an empty environment.  What it cannot escape is parentage: this
small process makes itself a *child subreaper* (Linux ``prctl``), so every
orphan of the agent's tree is re-parented to it instead of to init.  When the
agent exits, or when loopd stops the call (SIGTERM/SIGINT/SIGHUP), everything
still below it gets SIGTERM, a grace period, then SIGKILL, and is reaped;
then this process ends the way the agent did (same exit code or signal).

Run as a script (``python reaper.py GRACE -- ARGV...``), importing only the
standard library, so it starts in a few tens of milliseconds.

Limits: a process the agent has someone else start (``systemd-run``,
``docker run -d``, ``at``, a request to a running server) is not below it and
is not found; a SIGKILL to this process itself (loopd's last rung, after its
grace) re-parents what is left to the next subreaper or init.  On a kernel
without ``PR_SET_CHILD_SUBREAPER`` (not Linux) it still stops the tree that
stayed below it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

PR_SET_CHILD_SUBREAPER = 36
_STOPPING = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_POLL = 0.02
_KILL_ROUNDS = 10
_EXIT_1 = 1 << 8  # the wait status of exit(1)


def become_subreaper() -> bool:
    """Adopt this process's orphaned descendants; whether the kernel agreed."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def descendants(root: int) -> list[int]:
    """Live processes below ``root`` (by parent pid, read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[0] not in ("Z", "X"):
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is parenthesised and may hold spaces: split after it.
    return raw[raw.rfind(")") + 2 :].split()


def _send(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _reap() -> dict[int, int]:
    """Collect every finished child (re-parented orphans included): pid -> wait status."""
    done: dict[int, int] = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done[pid] = status


def clear_tree(grace: float) -> dict[int, int]:
    """SIGTERM everything below this process, wait ``grace``, SIGKILL the rest; reap all."""
    me = os.getpid()
    statuses = _reap()
    _send(descendants(me), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while descendants(me) and time.monotonic() < deadline:
        time.sleep(_POLL)
        statuses.update(_reap())
    for _ in range(_KILL_ROUNDS):
        left = descendants(me)
        if not left:
            break
        # A shell may fork while it dies: kill again until nothing is left.
        _send(left, signal.SIGKILL)
        time.sleep(_POLL)
        statuses.update(_reap())
    statuses.update(_reap())
    return statuses


def _end_like(status: int) -> None:
    """Exit as the agent did: the same exit code, or death by the same signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        time.sleep(1)  # the signal ends us; never reached for a fatal one
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def run(argv: list[str], grace: float) -> None:
    """Run ``argv`` below a subreaper; clear its tree when it exits or we are stopped.

    Stopped, everything must be gone within loopd's own ``grace`` (after it
    loopd SIGKILLs our group, us included): the whole tree hears the signal at
    once, the agent gets half the grace to exit, the rest SIGTERM then SIGKILL.
    """
    become_subreaper()
    try:
        child = subprocess.Popen(argv)
    except OSError as exc:
        print(f"cannot start {argv[0]}: {exc.strerror or exc}", file=sys.stderr)
        os._exit(127)
    stopped: list[int] = []

    def on_stop(signum: int, frame: FrameType | None) -> None:
        if not stopped:
            # What left our group (setsid) does not hear loopd's signal: pass it on.
            _send(descendants(os.getpid()), signal.Signals(signum))
        stopped.append(signum)

    for sig in _STOPPING:
        signal.signal(sig, on_stop)
    status = _wait_for(child.pid, stopped, grace * 0.5)
    child.returncode = 0  # reaped here, not by Popen
    statuses = clear_tree(grace * 0.4 if stopped else grace)
    status = statuses.get(child.pid, status)
    if status is None:
        # The agent outlasted the stop: end as stopped (a bare signal number is
        # the wait status of a death by that signal).
        status = stopped[0] if stopped else _EXIT_1
    _end_like(status)


def _wait_for(pid: int, stopped: list[int], grace: float) -> int | None:
    """The agent's wait status, reaping orphans meanwhile; None if a stop outlasted ``grace``."""
    deadline: float | None = None
    while True:
        for reaped, status in _reap().items():
            if reaped == pid:
                return status
        if stopped and deadline is None:
            deadline = time.monotonic() + grace
        if deadline is not None and time.monotonic() >= deadline:
            return None
        # Short naps rather than a blocking wait: orphans are reaped as they end.
        time.sleep(_POLL if stopped else 0.05)


def main(args: list[str]) -> None:
    grace, rest = float(args[0]), args[2:]
    run(rest, grace)


if __name__ == "__main__":
    main(sys.argv[1:])
