"""Foreground progress: a live panel on a terminal, timestamped lines anywhere else.

``loopd run`` and ``loopd start --foreground`` on a terminal show a panel,
redrawn a few times a second: the phase and step, tasks done, tests passed
and blocked, elapsed time, agent calls and cost, with the loop's messages
scrolling above it.  The daemon's stdout is its log file, so it (and any
run whose output is piped) writes one timestamped line per step and message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from loopd.checklist import Status
from loopd.clock import Clock
from loopd.engine import fingerprint

if TYPE_CHECKING:
    from loopd.engine.context import Context


@dataclass(frozen=True)
class Snapshot:
    """What the live view shows of the loop, taken between steps."""

    sprint: str = ""
    phase: str = ""
    working_on: str | None = None
    iteration: int = 0
    loop_iteration: int = 0
    tasks_done: int = 0
    tasks_total: int = 0
    tests_passed: int = 0
    tests_blocked: int = 0
    tests_total: int = 0
    agent_calls: int = 0
    cost_usd: float = 0.0


def snapshot(ctx: Context) -> Snapshot:
    """The loop's progress now, from its state and checklists."""
    tasks, tests = fingerprint.tasks(ctx.plan()), fingerprint.tests(ctx.tests())
    used = ctx.usage()
    return Snapshot(
        sprint=ctx.sprint.name,
        phase=ctx.state.phase,
        working_on=ctx.state.working_on,
        iteration=ctx.state.iteration,
        loop_iteration=ctx.state.loop_iteration,
        tasks_done=tasks[Status.DONE],
        tasks_total=sum(tasks.values()),
        tests_passed=tests[Status.DONE],
        tests_blocked=tests[Status.BLOCKED],
        tests_total=sum(tests.values()),
        agent_calls=used.agent_calls,
        cost_usd=used.cost_usd,
    )


class Reporter(Protocol):
    """Where the loop tells the user what it does."""

    def note(self, message: str) -> None: ...
    def step(self, name: str) -> None: ...
    def watch(self, probe: Callable[[], Snapshot]) -> None: ...
    def close(self) -> None: ...


class PlainReporter:
    """One timestamped line per step and message (the daemon log, a pipe)."""

    def __init__(self, clock: Clock, write: Callable[[str], None]) -> None:
        self.clock = clock
        self.write = write

    def note(self, message: str) -> None:
        """Print ``message`` on its own timestamped line."""
        self.write(f"{self.clock.now().astimezone():%Y-%m-%d %H:%M:%S} {message}")

    def step(self, name: str) -> None:
        """A step begins."""
        self.note(f"step {name}")

    def watch(self, probe: Callable[[], Snapshot]) -> None:
        """Plain lines show no counts: nothing to watch."""

    def close(self) -> None:
        """Nothing to tear down."""


class LiveReporter:
    """A rich live panel, messages printed above it."""

    def __init__(self, clock: Clock, console: Console, *, auto_refresh: bool = True) -> None:
        self.clock = clock
        self.console = console
        self.started = clock.monotonic()
        self.current = Snapshot()
        self.step_name = ""
        self.probe: Callable[[], Snapshot] | None = None
        self._lock = threading.Lock()
        self.live = Live(
            console=console,
            get_renderable=self.render,
            auto_refresh=auto_refresh,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.start()

    def note(self, message: str) -> None:
        """Print ``message`` above the panel."""
        stamp = f"{self.clock.now().astimezone():%H:%M:%S}"
        self.live.console.print(Text.assemble((stamp, "dim"), " ", message))
        self.live.refresh()

    def step(self, name: str) -> None:
        """A step begins: take a fresh snapshot and redraw."""
        fresh = self.probe() if self.probe is not None else self.current
        with self._lock:
            self.step_name, self.current = name, fresh
        self.live.refresh()

    def watch(self, probe: Callable[[], Snapshot]) -> None:
        """Take snapshots with ``probe`` from now on."""
        self.probe = probe

    def close(self) -> None:
        """Draw the panel one last time and leave it on the screen (once)."""
        if self.live.is_started:
            self.live.stop()

    def render(self) -> Table:
        """The panel (called from rich's refresh thread, too)."""
        with self._lock:
            now, step = self.current, self.step_name
        elapsed = int(self.clock.monotonic() - self.started)
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        where = f"{now.phase or '-'} / {step or '-'}"
        if now.working_on:
            where += f"  ({now.working_on})"
        table.add_row("loopd", Text(f"{now.sprint}   {where}"))
        tasks = f"{now.tasks_done}/{now.tasks_total} done"
        tests = f"{now.tests_passed}/{now.tests_total} passed, {now.tests_blocked} blocked"
        table.add_row("work", f"tasks {tasks}   tests {tests}")
        loops = f"test iteration {now.iteration}, loop pass {now.loop_iteration}"
        spent = f"{now.agent_calls} agent calls, ${now.cost_usd:.2f}"
        table.add_row("run", f"{_clock_time(elapsed)} elapsed   {spent}   {loops}")
        return table


def _clock_time(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def for_terminal(clock: Clock, console: Console | None = None) -> Reporter:
    """A live panel when ``console`` (stdout by default) is a terminal, else plain lines."""
    console = console or Console()
    if console.is_terminal:
        return LiveReporter(clock, console)
    return PlainReporter(clock, _writer(console))


def _writer(console: Console) -> Callable[[str], None]:
    def write(line: str) -> None:
        console.file.write(line + "\n")
        console.file.flush()

    return write
