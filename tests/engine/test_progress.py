"""Foreground progress: the live panel (rendered through rich into text) and plain lines."""

from __future__ import annotations

import datetime
import io
import os
import pty
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from loopd.engine.progress import LiveReporter, PlainReporter, Snapshot, for_terminal
from tests.integration.sprints import argv, environment, install

NOW = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)


@dataclass
class StillClock:
    """Fixed wall time; monotonic time only moves when a test sets it."""

    at: float = 0.0

    def now(self) -> datetime.datetime:
        return NOW

    def monotonic(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        pass


SNAPSHOT = Snapshot(
    sprint="s1",
    phase="implementation",
    working_on="BUILD-002",
    iteration=3,
    loop_iteration=7,
    tasks_done=1,
    tasks_total=2,
    tests_passed=4,
    tests_blocked=1,
    tests_total=6,
    agent_calls=12,
    cost_usd=0.75,
)


def test_plain_lines_are_timestamped() -> None:
    lines: list[str] = []
    reporter = PlainReporter(StillClock(), lines.append)
    reporter.step("implement")
    reporter.note("BUILD-001 done")
    stamp = NOW.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert lines == [f"{stamp} step implement", f"{stamp} BUILD-001 done"]


def test_the_live_panel_shows_phase_step_counts_time_and_spending() -> None:
    out = io.StringIO()
    clock = StillClock()
    reporter = LiveReporter(clock, Console(force_terminal=True, width=110, file=out))
    reporter.watch(lambda: SNAPSHOT)
    reporter.step("implement")
    reporter.note("BUILD-001 done")
    clock.at = 61.0
    reporter.close()
    reporter.close()  # closing twice is harmless
    shown = out.getvalue()

    assert "s1   implementation / implement  (BUILD-002)" in shown
    assert "tasks 1/2 done   tests 4/6 passed, 1 blocked" in shown
    assert "12 agent calls, $0.75" in shown and "test iteration 3, loop pass 7" in shown
    assert "BUILD-001 done" in shown and "0:01:01 elapsed" in shown


def test_a_terminal_gets_the_panel_anything_else_plain_lines() -> None:
    terminal = Console(force_terminal=True, file=io.StringIO())
    live = for_terminal(StillClock(), terminal)
    assert isinstance(live, LiveReporter)
    live.close()
    assert isinstance(for_terminal(StillClock(), Console(file=io.StringIO())), PlainReporter)


def test_loopd_run_on_a_terminal_draws_the_panel(repo: Path) -> None:
    install(repo, "greeter")
    leader, follower = pty.openpty()
    env = environment({"COLUMNS": "120", "TERM": "xterm"})
    child = subprocess.Popen(
        argv(repo, "run", "s1", "--once"), stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the run is over
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert child.wait(timeout=60) == 0
    shown = seen.decode(errors="replace")
    assert "tasks 2/2 done   tests 2/2 passed, 0 blocked" in shown
    assert "15 agent calls, $0.25" in shown and "loop ended: exit 0" in shown
