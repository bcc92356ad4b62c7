"""``loopd run``: run a sprint's loop in this process (what the daemon runs).

Holds the sprint's daemon lock for its whole life, runs the loop from where
LOOP_STATE.md says it was, and maps the end to the exit codes DESIGN.md
fixes: 0 full success, 2 partial, 1 incomplete or stopped, 130 interrupted.
Like loop-v2's loop.sh it exits when the loop ends (a script calling it must
get its exit code); with ``watch`` (the daemon) it stays up after a loop that
ended and runs it again when the sprint's files say so, but exits after one
that stopped (a fault, a budget, stuck): nothing would run it again.
A stopped loop resumes in its step; one that ended (and said so) starts a
new pass from the top; a full success archives the state, so the next run
starts the sprint over, as loop-v2 did.

SIGHUP asks for the configuration to be read again; it is applied between
two steps (prompts are read at every call anyway), never in the middle of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import click

from loopd import daemon, ending, preflight, workspace
from loopd.agents import AgentRunner, InfrastructureError
from loopd.clock import SystemClock
from loopd.config import Config, load_config
from loopd.engine import assemble, machine, progress, rerun
from loopd.engine.context import Context
from loopd.engine.spec import load_spec
from loopd.engine.steps import completion
from loopd.errors import LoopdError
from loopd.gitseam import GitSeam
from loopd.sprint import Sprint, locate
from loopd.state import load_state, save_state
from loopd.watch import Watcher

EXIT_STOPPED = 1
EXIT_INTERRUPTED = 130


def run(
    *,
    repo: Path,
    sprints_root: str,
    sprint: str,
    watch: bool,
    max_iterations: int | None,
    in_place: bool = False,
) -> int:
    """Run the loop until it ends; with ``watch``, then re-run it on changes until a signal.

    ``in_place``: in the user's checkout, as loop-v2 did, not in the sprint's worktree.
    """
    found = locate(repo, sprints_root, sprint)
    # Before any state, branch or agent call: a refused start changes nothing.
    ready = preflight.require(found, _say)
    with daemon.hold(found) as reaped, daemon.stop_signals(), _hangups() as hangup:
        reporter = progress.for_terminal(SystemClock())
        reporter.note(ready.summary)
        if reaped:
            reporter.note(f"stopped {len(reaped)} process(es) a killed daemon left running")
        prepared = workspace.prepare(found, in_place=in_place)
        found = prepared.sprint
        for line in prepared.notes:
            reporter.note(line)
        try:
            return _serve(found, max_iterations, reporter, hangup, watch=watch)
        except daemon.Interrupted as stop:
            reporter.close()
            return _interrupted(found, stop)
        finally:
            reporter.close()


@contextlib.contextmanager
def _hangups() -> Iterator[threading.Event]:
    """SIGHUP sets the event for the block (a daemon's "reload your config")."""
    asked = threading.Event()

    def hangup(_signum: int, _frame: FrameType | None) -> None:
        asked.set()

    previous = signal.signal(signal.SIGHUP, hangup)
    try:
        yield asked
    finally:
        signal.signal(signal.SIGHUP, previous)


def _serve(
    found: Sprint,
    max_iterations: int | None,
    reporter: progress.Reporter,
    hangup: threading.Event,
    *,
    watch: bool,
) -> int:
    """Run the loop; with ``watch``, then stay up and run it again when files say so.

    ``watch.enabled: false`` in the config turns watching off for every run:
    then the process exits when the loop ends, also when asked to watch.
    """
    overrides = {"limits.max_iterations": max_iterations}
    loaded = load_config(found.checkout, found, overrides=overrides)
    for warning in loaded.warnings:
        reporter.note(f"warning: {warning}")
    ctx = assemble.build(found, loaded.config, SystemClock(), reporter.note)
    reporter.watch(lambda: progress.snapshot(ctx))
    ctx.events.append("start", pid=os.getpid(), step=ctx.state.step)
    reload = _Reloader(found, overrides, hangup)
    configured = loaded.config.watch
    settings = dataclasses.replace(configured, enabled=configured.enabled and watch)
    if watch and not configured.enabled:
        reporter.note("file watching is off (watch.enabled: false): exiting when the loop ends")
    # Started before the first run, paused: what changes meanwhile is queued, not lost.
    with Watcher(found, settings, ctx.clock, ctx.events) as watcher:
        watcher.pause()
        code = _run_once(ctx, reporter, reload)
        watcher.resume()
        if settings.enabled and not _stopped(ctx, reporter):
            code = _watch(ctx, watcher, reporter, reload)
    return code


def _stopped(ctx: Context, reporter: progress.Reporter) -> bool:
    """A loop that stopped (a fault, a budget, stuck) cannot run again by itself: say so and exit.

    Watching it would show a daemon running a loop that is not; the next
    ``loopd start`` resumes it in the step it stopped in.
    """
    if ctx.state.stop_reason is None:
        return False
    name = ctx.sprint.name
    reporter.note(f"the loop stopped, so the daemon exits; continue with: loopd start {name}")
    return True


def _run_once(ctx: Context, reporter: progress.Reporter, reload: _Reloader) -> int:
    """One run of the loop; the services it started are stopped when it ends."""
    ended = completion.resume_end(ctx)  # a killed run's end, finished rather than run again
    if ended is not None:
        reporter.note(f"loop ended: exit {ended}")
        return ended
    ending.clear(ctx.sprint)  # from here on, the last end is not how the sprint stands
    try:
        return _drive(ctx, reporter, reload)
    finally:
        ctx.services.stop_all()


class _Reloader:
    """Between steps: read the configuration again if SIGHUP asked for it."""

    def __init__(self, found: Sprint, overrides: dict[str, Any], asked: threading.Event) -> None:
        self.found = found
        self.overrides = overrides
        self.asked = asked

    def __call__(self, ctx: Context) -> None:
        if not self.asked.is_set():
            return
        self.asked.clear()
        try:
            loaded = load_config(self.found.checkout, self.found, overrides=self.overrides)
        except LoopdError as exc:
            ctx.note(f"SIGHUP: configuration not reloaded, keeping the old one: {exc}")
            return
        changed = _changes(ctx.config, loaded.config)
        apply_config(ctx, loaded.config)
        ctx.note("SIGHUP: configuration reloaded" + (f": {changed}" if changed else " (no change)"))
        ctx.events.append("reload", changed=changed)
        ctx.write_status()


def apply_config(ctx: Context, config: Config) -> None:
    """Make ``config`` the loop's: the context, the agent runner and the services use it."""
    ctx.config = config
    if isinstance(ctx.agents, AgentRunner):
        old = ctx.agents
        ctx.agents = AgentRunner(
            config, ctx.sprint, old.run_dir, ctx.events, ctx.clock, note=old.note
        )
    if isinstance(ctx.services, assemble.ServicesPort):
        ctx.services.manager.config = config
    if isinstance(ctx.git, GitSeam):  # protected branches, commit and push
        ctx.git.settings = config.git


def _changes(old: Config, new: Config) -> str:
    """``section.name old -> new`` for every setting that differs."""
    before, after = _flat(old.as_dict()), _flat(new.as_dict())
    return ", ".join(
        f"{k} {before.get(k)!r} -> {v!r}" for k, v in after.items() if before.get(k) != v
    )


def _flat(data: dict[str, dict[str, object]]) -> dict[str, object]:
    return {
        f"{section}.{name}": value
        for section, items in data.items()
        for name, value in items.items()
    }


def _drive(ctx: Context, reporter: progress.Reporter, reload: _Reloader) -> int:
    spec = load_spec()
    try:
        loop = machine.run(spec, ctx, on_step=reporter.step, between=reload)
    except InfrastructureError as exc:
        ctx.update(ctx.state.evolve(stop_reason=f"infrastructure: {exc}"))
        ctx.write_status()
        ctx.events.append("stop", reason=str(exc), step=ctx.state.step)
        reporter.note(f"stopped: {exc}")
        return EXIT_STOPPED
    except LoopdError as exc:
        # Bad input met mid-loop (a hand-edited plan, say): say so in status, then fail.
        ctx.update(ctx.state.evolve(stop_reason=f"error: {exc}"))
        ctx.write_status()
        ctx.events.append("stop", reason=str(exc), step=ctx.state.step)
        raise
    if not loop.finished():
        reporter.note(f"stopped: {ctx.state.stop_reason}")
        return EXIT_STOPPED
    code = ctx.state.exit_code if ctx.state.exit_code is not None else EXIT_STOPPED
    # One recoverable unit (archive, commit, record): killed before this, the
    # next run reports this end; killed in it, the next run finishes it.
    completion.end(ctx, code, spec.final)
    reporter.note(f"loop ended: exit {code}")
    return code


def _interrupted(found: Sprint, stop: daemon.Interrupted) -> int:
    """Record why the loop stopped; its step stays, so the next start re-runs it."""
    state = load_state(found.state_file)
    reason = "interrupted (Ctrl-C)" if stop.signum == signal.SIGINT else "stopped by loopd stop"
    # Only a loop that was running is interrupted: an earlier stop reason (a
    # fault) or an end (the daemon was watching) is how the sprint stands.
    running = state.stop_reason is None and state.exit_code is None
    if running and found.state_file.exists():  # not after a full success archived it
        save_state(found.state_file, state.evolve(stop_reason=reason), found.files_lock)
        click.echo(f"loopd: {reason}; state saved at step {state.step}", err=True)
    else:
        click.echo(f"loopd: {reason}; the loop was not running", err=True)
    return EXIT_INTERRUPTED if stop.signum == signal.SIGINT else EXIT_STOPPED


def _watch(ctx: Context, watcher: Watcher, reporter: progress.Reporter, reload: _Reloader) -> int:
    """Stay up after the loop and run it again when files say so.

    A signal ends this (``loopd stop``: SIGTERM raises Interrupted), and so
    does a run that stopped: its exit code is returned.
    """
    reporter.note(f"loop finished; watching files for changes (stop: loopd stop {ctx.sprint.name})")
    spec = load_spec()
    while True:
        decision = rerun.decide(ctx, watcher.wait(None))
        for reason in decision.reasons:
            reporter.note(reason)
        if not decision.resume:
            continue
        rerun.reopen(ctx, spec.final, first="loop_start")
        watcher.pause()
        try:
            code = _run_once(ctx, reporter, reload)
        finally:
            watcher.resume()
        if _stopped(ctx, reporter):
            return code
        reporter.note("loop finished; watching files for changes")


def _say(line: str) -> None:
    click.echo(line, err=True)
