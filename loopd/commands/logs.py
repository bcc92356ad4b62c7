"""``loopd logs``: print a sprint's daemon log or its events, and follow them with ``-f``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from loopd import daemon
from loopd.errors import LoopdError
from loopd.sprint import Sprint, locate

POLL = 0.2


def logs(
    *, repo: Path, sprints_root: str, sprint: str, follow: bool, as_json: bool, lines: int | None
) -> int:
    """Print the log (or events.jsonl); with ``follow``, go on until the daemon ends."""
    found = locate(repo, sprints_root, sprint)
    path = _source(found, as_json)
    with path.open("rb") as log:
        rest = _emit(_last(log.read(), lines))
        while follow:
            chunk = log.read()
            if chunk:
                rest = _emit(rest + chunk)
            elif daemon.running(found) is None:
                break
            else:
                time.sleep(POLL)
    if rest and not as_json:
        _emit(rest + b"\n")
    return 0


def _source(found: Sprint, as_json: bool) -> Path:
    if as_json:
        path, what = found.events_log, "no events yet"
    else:
        path, what = daemon.log_path(found), "no daemon log yet"
    if not path.exists():
        hint = f"start the loop: loopd start {found.name}"
        if not as_json:
            hint += " (a foreground `loopd run` logs to the terminal; see `loopd logs --json`)"
        raise LoopdError(what, path=path, hint=hint)
    return path


def _last(data: bytes, lines: int | None) -> bytes:
    if lines is None:
        return data
    if lines == 0:
        return b""
    kept = data.splitlines(keepends=True)[-lines:]
    return b"".join(kept)


def _emit(data: bytes) -> bytes:
    """Write the complete lines of ``data``; return the unfinished tail to prepend next time."""
    # A writer may be mid-line (events are one write(2), the log is not):
    # holding the tail back keeps every printed line whole, which --json needs.
    cut = data.rfind(b"\n") + 1
    sys.stdout.buffer.write(data[:cut])
    sys.stdout.flush()
    return data[cut:]
