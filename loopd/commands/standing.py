"""Where a sprint stands, as one state: what ``loopd status`` says first.

The facts come from three places that can each be stale on their own: the
daemon's lock (is a process running the sprint?), LOOP_STATE.md (a stop
reason, an exit code, the step) and the end's record (:mod:`loopd.ending`).
This reads them together, so status never says "running" and "stopped" at
once, and names the command that goes on from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopd.daemon import DaemonInfo
from loopd.ending import OUTCOMES, Ending
from loopd.state import LoopState

RUNNING, WATCHING, STOPPING = "running", "watching", "stopping"
STOPPED, ENDED, INTERRUPTED, NOT_STARTED = "stopped", "ended", "interrupted", "not started"


@dataclass(frozen=True)
class Standing:
    """One of the states above, the line that says it, and the command to go on (if any)."""

    state: str
    line: str
    next: str | None = None


def standing(sprint: str, state: LoopState, holder: DaemonInfo | None) -> Standing:
    """Where ``sprint`` stands, from its state and the lock's holder (None: no daemon)."""
    start = f"loopd start {sprint}"
    if holder is not None:
        return _held(state, holder, start)
    ended = _ended(state)
    if state.stop_reason:
        return Standing(STOPPED, f"stopped in step {state.step or '-'}: {state.stop_reason}", start)
    if ended:
        # A full success is done; after 1 or 2 the next start runs a new pass.
        return Standing(ENDED, ended, None if state.exit_code == 0 else start)
    if state.step:
        line = f"not running: the loop was cut off in step {state.step} (killed?)"
        return Standing(INTERRUPTED, line, start)
    return Standing(NOT_STARTED, "not started", start)


def _held(state: LoopState, holder: DaemonInfo, start: str) -> Standing:
    """A process holds the sprint: it runs the loop, watches after its end, or is exiting."""
    pid = f"pid {holder.pid}" if holder.pid else "another process"
    ended = _ended(state)
    if state.stop_reason:
        return Standing(STOPPING, f"stopping ({pid}): {state.stop_reason}", start)
    if ended:
        line = f"{ended}; the daemon ({pid}) watches files and runs it again when they change"
        return Standing(WATCHING, line)
    return Standing(RUNNING, f"running ({pid}), step {state.step or '-'}")


def _ended(state: LoopState) -> str | None:
    code = state.exit_code
    if code is None:
        return None
    return f"ended: {OUTCOMES.get(code, 'stopped')} (exit {code})"


def ended_line(end: Ending) -> str:
    """``exit 0 at <time> · tests 2 passed · commit abc1234 on <branch> in <dir>``."""
    parts = [f"exit {end.exit_code} at {end.at}"]
    tests = [f"{n} {word}" for word, n in end.tests.items() if n]
    parts.append("tests " + (", ".join(tests) if tests else "none"))
    if end.commit:
        where = f" on {end.branch}" if end.branch else " (detached HEAD)"
        parts.append(f"commit {end.commit[:12]}{where}" + (f" in {end.where}" if end.where else ""))
    if end.archived:
        parts.append(f"LOOP_STATE.md archived to {end.archived}")
    return " · ".join(parts)
