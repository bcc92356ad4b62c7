"""``loopd stop``: ask a sprint's daemon to stop; ``--now`` makes sure it does."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import click

from loopd import daemon, proc
from loopd.sprint import Sprint, locate

GRACE = 30.0
NOW_GRACE = 3.0


def stop(*, repo: Path, sprints_root: str, sprint: str, now: bool) -> int:
    """SIGTERM the daemon (it ends its step cleanly and saves state) and wait for it."""
    found = locate(repo, sprints_root, sprint)
    info = daemon.running(found)
    if info is None or info.pid <= 0:
        click.echo(f"{sprint}: no daemon is running")
        return 0
    _signal(info.pid, signal.SIGTERM)
    if _gone(found, info.pid, NOW_GRACE if now else GRACE):
        click.echo(f"stopped {sprint} (pid {info.pid}); its state is saved")
        return 0
    if not now:
        click.echo(f"{sprint}: pid {info.pid} has not stopped after {GRACE:.0f}s; use --now")
        return 1
    _kill_tree(info)
    _gone(found, info.pid, NOW_GRACE)
    click.echo(f"killed {sprint} (pid {info.pid}) and every process it started")
    return 0


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _kill_tree(info: daemon.DaemonInfo) -> None:
    _signal(info.pid, signal.SIGKILL)
    if info.token:
        for pid in proc.marked(info.token):
            _signal(pid, signal.SIGKILL)


def _gone(found: Sprint, pid: int, within: float) -> bool:
    """The daemon released its lock and its process has exited."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if daemon.running(found) is None and not proc.pid_alive(pid):
            return True
        time.sleep(0.05)
    return False
