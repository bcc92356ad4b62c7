"""Helpers for the watcher tests: collecting changes and counting kernel watches."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from pathlib import Path

from loopd.watch import Change, Trigger, Watcher

PATIENCE = 10.0  # seconds a change may take to arrive on a loaded machine


def collect(
    watcher: Watcher, until: Callable[[list[Change]], bool], patience: float = PATIENCE
) -> list[Change]:
    """Changes delivered until ``until`` holds for all of them so far (fails after ``patience``)."""
    deadline = time.monotonic() + patience
    seen: list[Change] = []
    while not until(seen):
        left = deadline - time.monotonic()
        assert left > 0, f"changes so far: {seen}"
        seen += watcher.wait(left)
    return seen


def has(trigger: Trigger, path: str) -> Callable[[list[Change]], bool]:
    """``until`` for :func:`collect`: ``path`` was reported for ``trigger``."""
    return lambda seen: any(c.trigger is trigger and path in c.paths for c in seen)


def paths(changes: list[Change]) -> dict[Trigger, set[str]]:
    """Every reported path, by trigger."""
    found: dict[Trigger, set[str]] = {}
    for change in changes:
        found.setdefault(change.trigger, set()).update(change.paths)
    return found


def eventually(condition: Callable[[], bool], patience: float = PATIENCE) -> None:
    """Wait for ``condition`` (checked every 10 ms); fail after ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def inotify_watches() -> int:
    """Kernel inotify watches this process holds, over all its inotify descriptors."""
    total = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if str(fd.readlink()) != "anon_inode:inotify":
                continue
            info = Path("/proc/self/fdinfo", fd.name).read_text()
        except OSError:
            continue
        total += sum(line.startswith("inotify wd:") for line in info.splitlines())
    return total


def live_threads() -> set[threading.Thread]:
    return set(threading.enumerate())


class SkippingClock:
    """The real clock, plus time skipped ahead by the test."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=self.skipped)

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def sleep(self, seconds: float) -> None:
        self.skipped += seconds
