"""Stopping what an agent left running outside its process group.

Killing the agent's group is not enough: Claude Code, for one, starts each
background shell in a session of its own.  Every descendant inherits the
agent's environment, though, so the runner marks each call with a variable
no other process has (``LOOPD_PROMPT_FILE=<this call's prompt file>``) and,
once the call is over, stops every process still carrying it: SIGTERM,
grace, SIGKILL, like the group itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

POLL = 0.02
KILL_WAIT = 2.0  # SIGKILL is not instant: a process is gone once it is a zombie


def marked(name: str, value: str) -> list[int]:
    """Live processes (not this one) whose environment has ``name=value``."""
    entry = f"{name}={value}".encode()
    return [pid for pid in _pids() if pid != os.getpid() and _has(pid, entry) and _alive(pid)]


def sweep(name: str, value: str, grace: float) -> list[int]:
    """Stop every process marked ``name=value``; return the pids found."""
    found = marked(name, value)
    if not found:
        return []
    _signal(found, signal.SIGTERM)
    _wait_gone(found, grace)
    # Marked processes started since (a shell forking as it dies) go too.
    last = sorted({*found, *marked(name, value)})
    _signal(last, signal.SIGKILL)
    _wait_gone(last, KILL_WAIT)
    return found


def _wait_gone(pids: list[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(POLL)


def _signal(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _pids() -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def _has(pid: int, entry: bytes) -> bool:
    try:
        return entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] not in ("Z", "X")
