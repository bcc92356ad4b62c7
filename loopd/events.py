"""The accounting log: ``.loopd/<sprint>/events.jsonl``, one JSON object per line.

Every transition, agent call, test result and commit is appended here and
nothing is ever rewritten.  Each line goes out in one ``write(2)`` on an
``O_APPEND`` descriptor, so several processes (the daemon, a ``loopd`` command,
an agent's own loopd call) can append at once without interleaving lines, and
a crash (a power cut) can at worst leave a torn last line.  A writer that finds
the log not ending in a newline starts its line on a new one, so the next
event is never glued onto the torn one; :func:`read_events` skips torn lines
(and reads an event an older loopd glued onto one).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopd import crashpoint
from loopd.clock import Clock, SystemClock
from loopd.errors import LoopdError

AGENT_EVENT = "agent"
OUTCOME_OK = "ok"
OUTCOME_WORK_FAILED = "work_failed"
OUTCOME_TIMEOUT = "timeout"


class EventLog:
    """Appends events to one ``events.jsonl`` file."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = path
        self._clock: Clock = clock or SystemClock()

    def append(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        """Append ``{"time": ..., "type": kind, **fields}`` as one line; return it."""
        event = {"time": self._clock.now().isoformat(), "type": kind, **fields}
        line = json.dumps(event, ensure_ascii=False, default=str, separators=(",", ":"))
        self._write_line(line.encode("utf-8") + b"\n")
        crashpoint.reached(f"event:{kind}")
        return event

    def _write_line(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if _ends_torn(fd):
                data = b"\n" + data  # at worst an empty line if two writers both see it
            written = os.write(fd, data)
            # A regular file takes the whole line at once; finish a short
            # write (full disk, signal) rather than lose the end of the line.
            while written < len(data):
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)


def _ends_torn(fd: int) -> bool:
    """True when the log's last byte is not a newline: its last writer died mid-line."""
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


# Every line loopd writes starts with this; a torn line is a cut-off prefix of one.
_EVENT_START = b'{"time":'


def read_events(path: Path) -> list[dict[str, Any]]:
    """All events in ``path`` in order; a missing file is an empty log.

    A torn line (its writer died mid-write: a JSON object cut off) is skipped,
    wherever it is; an event an older loopd glued onto a torn line is read.
    Any other malformed line (not loopd's) is an error naming its line.
    """
    return list(_iter_events(path))


def _iter_events(path: Path) -> Iterator[dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            if number == len(lines) or line.lstrip().startswith(b"{"):
                glued = _glued(line)
                if glued is not None:
                    yield glued
                continue  # torn
            raise LoopdError("not a JSON event line", path=path, line=number) from None
        if not isinstance(event, dict):
            raise LoopdError("event line is not a JSON object", path=path, line=number)
        yield event


def _glued(line: bytes) -> dict[str, Any] | None:
    """The whole event at the end of a torn line, if one was appended onto it."""
    at = line.rfind(_EVENT_START)
    if at <= 0:
        return None
    try:
        event = json.loads(line[at:])
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


@dataclass(frozen=True)
class RoleTotals:
    """What one agent role cost so far (for ``loopd status``)."""

    calls: int = 0
    failures: int = 0
    faults: int = 0
    duration: float = 0.0
    cost_usd: float = 0.0

    def add(self, event: dict[str, Any]) -> RoleTotals:
        """These totals plus one agent event."""
        outcome = event.get("outcome")
        failed = outcome in (OUTCOME_WORK_FAILED, OUTCOME_TIMEOUT)
        faulted = outcome not in (OUTCOME_OK, OUTCOME_WORK_FAILED, OUTCOME_TIMEOUT)
        return RoleTotals(
            calls=self.calls + 1,
            failures=self.failures + int(failed),
            faults=self.faults + int(faulted),
            duration=self.duration + float(event.get("duration") or 0.0),
            cost_usd=self.cost_usd + float(event.get("cost_usd") or 0.0),
        )


def totals_by_role(path: Path) -> dict[str, RoleTotals]:
    """Agent calls, work failures, infrastructure faults, time and cost per role."""
    totals: dict[str, RoleTotals] = {}
    for event in read_events(path):
        if event.get("type") == AGENT_EVENT:
            role = str(event.get("role", "?"))
            totals[role] = totals.get(role, RoleTotals()).add(event)
    return totals
