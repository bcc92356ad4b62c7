"""``loopd run``: run a sprint's loop in this process (what the daemon runs).

Holds the sprint's daemon lock for its whole life, runs the loop from where
LOOP_STATE.md says it was, and maps the end to the exit codes DESIGN.md
fixes: 0 full success, 2 partial, 1 incomplete or stopped, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path

import click

from loopd import daemon, fsio
from loopd.agents import InfrastructureError
from loopd.clock import Clock, SystemClock
from loopd.config import load_config
from loopd.engine import assemble, machine
from loopd.engine.context import Context
from loopd.engine.spec import load_spec
from loopd.sprint import Sprint, locate

EXIT_STOPPED = 1
EXIT_INTERRUPTED = 130


def _printer(clock: Clock) -> Callable[[str], None]:
    def report(message: str) -> None:
        click.echo(f"{clock.now():%H:%M:%S} {message}")

    return report


def run(
    *,
    repo: Path,
    sprints_root: str,
    sprint: str,
    once: bool,
    max_iterations: int | None,
    no_watch: bool,
) -> int:
    """Run the loop until it ends; without ``once``, then wait for signals."""
    found = locate(repo, sprints_root, sprint)
    with daemon.hold(found), daemon.stop_signals():
        try:
            code = _run_loop(found, max_iterations)
        except daemon.Interrupted as stop:
            return _interrupted(found, stop)
        if not once:
            _idle(found, no_watch)
        return code


def _run_loop(found: Sprint, max_iterations: int | None) -> int:
    overrides = {"limits.max_iterations": max_iterations}
    loaded = load_config(found.repo, found, overrides=overrides)
    clock = SystemClock()
    report = _printer(clock)
    for warning in loaded.warnings:
        report(f"warning: {warning}")
    ctx = assemble.build(found, loaded.config, clock, report)
    ctx.events.append("start", pid=os.getpid(), step=ctx.state.step)
    try:
        return _drive(ctx, report)
    finally:
        ctx.services.stop_all()


def _drive(ctx: Context, report: Callable[[str], None]) -> int:
    spec = load_spec()
    try:
        loop = machine.run(spec, ctx, on_step=lambda name: report(f"step {name}"))
    except InfrastructureError as exc:
        ctx.update(ctx.state.evolve(stop_reason=f"infrastructure: {exc}"))
        ctx.events.append("stop", reason=str(exc), step=ctx.state.step)
        report(f"stopped: {exc}")
        return EXIT_STOPPED
    if not loop.finished():
        report(f"stopped: {ctx.state.stop_reason}")
        return EXIT_STOPPED
    code = ctx.state.exit_code if ctx.state.exit_code is not None else EXIT_STOPPED
    if code == 0:
        _archive_state(ctx)
    report(f"loop ended: exit {code}")
    return code


def _archive_state(ctx: Context) -> None:
    """Full success: keep LOOP_STATE.md under .loopd/ and remove it from the sprint."""
    state_file = ctx.sprint.state_file
    archive = ctx.sprint.runtime / "archive" / f"LOOP_STATE-{ctx.clock.now():%Y%m%d-%H%M%S}.md"
    fsio.atomic_write(archive, fsio.read_text(state_file))
    state_file.unlink()
    ctx.events.append("archived", path=str(archive))


def _interrupted(found: Sprint, stop: daemon.Interrupted) -> int:
    """Record why the loop stopped; its step stays, so the next start re-runs it."""
    from loopd.state import load_state, save_state

    state = load_state(found.state_file)
    reason = "interrupted (Ctrl-C)" if stop.signum == signal.SIGINT else "stopped by loopd stop"
    save_state(found.state_file, state.evolve(stop_reason=reason), found.files_lock)
    click.echo(f"loopd: {reason}; state saved at step {state.step}", err=True)
    return EXIT_INTERRUPTED if stop.signum == signal.SIGINT else EXIT_STOPPED


def _idle(found: Sprint, no_watch: bool) -> None:
    """Stay up after the loop for re-runs; until file watching lands, only a signal ends it."""
    why = "file watching is off (--no-watch)" if no_watch else "file watching lands with issue #7"
    click.echo(f"loop finished; idle until stopped ({why}): loopd stop {found.name}")
    with contextlib.suppress(daemon.Interrupted):
        while True:
            signal.pause()
