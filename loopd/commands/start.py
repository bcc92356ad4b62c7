"""``loopd start``: run a sprint's loop as a daemon (or in the foreground)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import click

from loopd import daemon, fsio, preflight, proc, workspace
from loopd.commands.run import run
from loopd.errors import LoopdError
from loopd.sprint import Sprint, locate

STARTUP_WAIT = 10.0


def start(
    *,
    repo: Path,
    sprints_root: str,
    sprint: str,
    foreground: bool,
    watch: bool,
    max_iterations: int | None,
    in_place: bool = False,
) -> int:
    """Detach a daemon running ``loopd run`` and return at once, or run attached.

    ``watch``: the daemon stays up after the loop and runs it again when
    files change (``loopd run --watch``); otherwise it exits when the loop ends.
    ``in_place``: the loop works in the user's checkout, not in a worktree.
    """
    if foreground:
        return run(
            repo=repo,
            sprints_root=sprints_root,
            sprint=sprint,
            watch=watch,
            max_iterations=max_iterations,
            in_place=in_place,
        )
    found = locate(repo, sprints_root, sprint)
    # Said here, not from a daemon that exits at once; nothing is changed before it.
    ready = preflight.require(found, _say)
    holder = daemon.running(found)
    if holder is not None:
        raise daemon.already_running(found, holder)
    # Made here, so what it did to git (a worktree, a stash) is said by start itself.
    prepared = workspace.prepare(found, in_place=in_place)
    for line in prepared.notes:
        click.echo(line)
    home = str(found.checkout)
    argv = [sys.executable, "-m", "loopd", "-C", home, "--sprints-root", sprints_root]
    argv += ["run", sprint, *_flags(watch, max_iterations), *(["--in-place"] if in_place else [])]
    child = _detach(found, argv)
    info = _wait_started(found, child)
    click.echo(ready.summary)
    click.echo(f"started loopd for {sprint} (pid {info.pid})")
    click.echo(f"follow: loopd logs -f {sprint}   status: loopd status {sprint}")
    click.echo(f"stop:   loopd stop {sprint}")
    return 0


def _flags(watch: bool, max_iterations: int | None) -> list[str]:
    flags = ["--watch"] if watch else []
    if max_iterations is not None:
        flags += ["--max-iterations", str(max_iterations)]
    return flags


def _detach(found: Sprint, argv: list[str]) -> proc.Spawned:
    log = daemon.log_path(found)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        home = found.checkout
        return proc.spawn(argv, cwd=home, stdin=subprocess.DEVNULL, stdout=out, stderr=out)


def _wait_started(found: Sprint, child: proc.Spawned) -> daemon.DaemonInfo:
    """Until the daemon holds its lock; a daemon that dies first is reported with its log."""
    deadline = time.monotonic() + STARTUP_WAIT
    while time.monotonic() < deadline:
        info = daemon.read_info(found)
        if info is not None and info.pid == child.pid:
            return info
        if child.popen.poll() is not None:
            winner = daemon.running(found)
            if winner is not None:  # lost a race with another start: say who won
                raise daemon.already_running(found, winner)
            tail = fsio.read_text(daemon.log_path(found)).strip().splitlines()[-5:]
            raise LoopdError(
                f"the daemon exited at once (code {child.popen.returncode}): " + " | ".join(tail),
                path=daemon.log_path(found),
            )
        time.sleep(0.05)
    return daemon.DaemonInfo(child.pid, None)


def _say(line: str) -> None:
    click.echo(line, err=True)
