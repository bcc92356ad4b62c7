"""A test seam: die like ``kill -9`` right after a named durable write.

Every durable write loopd makes (an atomic file write, the state file's
archiving, a commit, an events line) calls :func:`reached` with a name such
as ``write:LOOP_STATE.md``, ``unlink:LOOP_STATE.md``, ``commit`` or
``event:agent``.  Nothing happens unless the environment asks:

- ``LOOPD_CRASH_TRACE=<file>`` appends each name reached to ``<file>``, one
  a line: how a test enumerates the write points of a whole run;
- ``LOOPD_CRASH_AT=<name>[:<n>]`` kills this process (SIGKILL, no cleanup,
  no ``finally``) right after the ``n``-th write named ``<name>`` (default 1);
  ``LOOPD_CRASH_AT=#<k>`` right after the ``k``-th write point of any name.

Counts are per process: a run that resumes after the kill counts afresh
(the tests resume without the variable).  The variables are taken out of
the environment when loopd starts, so only loopd's own writes count, never
those of the agents and commands it runs.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

CRASH_AT = "LOOPD_CRASH_AT"
TRACE = "LOOPD_CRASH_TRACE"

_seen: Counter[str] = Counter()
# Taken at import (loopd's start): its children do not inherit them.
_TARGET, _TRACE = os.environ.pop(CRASH_AT, None), os.environ.pop(TRACE, None)


def reached(name: str) -> None:
    """A durable write named ``name`` has just completed."""
    target, trace = _TARGET, _TRACE
    if not target and not trace:
        return
    _seen[name] += 1
    _seen["#"] += 1
    if trace:
        with Path(trace).open("a", encoding="utf-8") as handle:
            handle.write(f"{name}\n")
    if target and _hit(target, name):
        os.kill(os.getpid(), signal.SIGKILL)


def _hit(target: str, name: str) -> bool:
    if target.startswith("#"):
        return target[1:].isdigit() and _seen["#"] == int(target[1:])
    wanted, _, count = target.rpartition(":")
    if not count.isdigit():  # no count: the name itself may hold colons
        wanted, count = target, "1"
    return wanted == name and _seen[name] == int(count)
