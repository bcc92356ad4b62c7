"""The file watcher: debounced, classified changes of a sprint's repo for the idle daemon.

watchdog's observer (inotify on Linux) reports raw events on its thread;
they are cheaply pre-filtered there and handed to watchdog's EventDebouncer,
whose thread judges each quiet batch (own writes, .gitignore, plan growth)
and queues what is left by trigger.  :meth:`Watcher.wait` hands the queue to
the daemon unless the watcher is paused: while the loop runs, changes wait.
"""

from __future__ import annotations

import os
import threading
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from watchdog.events import (
    DirMovedEvent,
    FileCreatedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.utils.event_debouncer import EventDebouncer

from loopd import fsio
from loopd.clock import Clock, SystemClock
from loopd.config import WatchSettings
from loopd.errors import LoopdError
from loopd.events import EventLog
from loopd.sprint import Sprint
from loopd.watch.classify import Trigger, classify, relative
from loopd.watch.ignore import GitIgnore
from loopd.watch.layout import Layout, watch_error
from loopd.watch.plans import PendingCounts

WATCH_EVENT = "watch"
PROBLEM_EVENT = "watch_problem"
PATHS_LOGGED = 20


@dataclass(frozen=True)
class Change:
    """Files (repo-relative, posix) that changed, for one trigger."""

    trigger: Trigger
    paths: tuple[str, ...]


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._watcher._on_event(event)


class Watcher:
    """Watches one sprint's repo; use as a context manager or start()/stop()."""

    def __init__(
        self,
        sprint: Sprint,
        settings: WatchSettings,
        clock: Clock | None = None,
        events: EventLog | None = None,
    ) -> None:
        self.sprint = sprint
        self.settings = settings
        self._clock: Clock = clock or SystemClock()
        self._events = events
        self._ignore = GitIgnore(sprint.repo)
        self._plans = PendingCounts(sprint)
        self._cond = threading.Condition()
        self._queued: dict[Trigger, dict[str, None]] = {}
        self._paused = False
        self._observer: BaseObserver | None = None
        self._debouncer: EventDebouncer | None = None
        self._layout: Layout | None = None

    def start(self) -> None:
        """Start watching (a no-op when watching is disabled or already started).

        Every watch is in place when this returns.  LoopdError, with nothing
        left running, when the kernel refuses a watch (its inotify limit, say).
        """
        if not self.settings.enabled or self._observer is not None:
            return
        self._plans.baseline()
        self._observer = Observer()
        self._debouncer = EventDebouncer(self.settings.debounce, self._settle)
        self._layout = Layout(
            self.sprint, self._observer, _Handler(self), self._ignore, self._clock
        )
        try:
            self._layout.schedule_all()
            self._debouncer.start()
            self._observer.start()  # adds the kernel watches before it returns
        except (LoopdError, OSError) as exc:
            self.stop()
            if isinstance(exc, OSError):
                raise watch_error(self.sprint.repo, exc) from None
            raise

    def stop(self) -> None:
        """Stop watching and join every thread the watcher started; queued changes stay."""
        observer, debouncer = self._observer, self._debouncer
        self._observer = self._debouncer = self._layout = None
        if observer is not None:
            observer.stop()  # also closes its inotify descriptor, started or not
            if observer.is_alive():
                observer.join()
        if debouncer is not None:
            debouncer.stop()  # flushes what it holds into the queue
            if debouncer.is_alive():
                debouncer.join()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.stop()

    def pause(self) -> None:
        """Queue changes instead of delivering them (the loop is running)."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        """Deliver again, queued changes first."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def queued(self) -> list[Change]:
        """The changes waiting to be delivered, without taking them (for status)."""
        with self._cond:
            return _changes(self._queued)

    def wait(self, timeout: float | None = None) -> list[Change]:
        """Block until changes can be delivered, then take them all, one Change per trigger.

        Changes come in :class:`Trigger` order.  ``[]`` after ``timeout``
        seconds (None: no limit; 0: only what is already there), and always
        while paused.  A plan's growth is dropped when the plan has no pending
        item left by now (the loop worked them off while it ran).
        """
        deadline = None if timeout is None else self._clock.monotonic() + timeout
        with self._cond:
            while not self._queued or self._paused:
                left = None if deadline is None else deadline - self._clock.monotonic()
                if left is not None and left <= 0:
                    return []
                self._cond.wait(left)
            taken, self._queued = self._queued, {}
        return self._still_pending(_changes(taken))

    def _still_pending(self, changes: list[Change]) -> list[Change]:
        kept: list[Change] = []
        for change in changes:
            paths = change.paths
            if change.trigger is Trigger.PLAN_PENDING:
                paths = tuple(p for p in paths if self._plans.has_pending(self._absolute(p)))
            if paths:
                kept.append(Change(change.trigger, paths))
        return kept

    # -- observer thread ---------------------------------------------------------------

    def _on_event(self, event: FileSystemEvent) -> None:
        layout, debouncer = self._layout, self._debouncer
        if layout is None or debouncer is None:
            return
        try:
            layout.tidy()
            created = layout.on_dir_event(event) if event.is_directory else []
        except LoopdError as exc:
            self._problem(os.fsdecode(event.src_path), str(exc))
            created = []
        for path in created:
            debouncer.handle_event(FileCreatedEvent(str(path), is_synthetic=True))
        counts = not event.is_directory or isinstance(event, DirMovedEvent)
        if counts and any(classify(self.sprint, path) for path in _paths(event)):
            debouncer.handle_event(event)

    # -- debouncer thread --------------------------------------------------------------

    def _settle(self, events: list[FileSystemEvent]) -> None:
        candidates: dict[str, Trigger] = {}
        for event in events:
            for path in _paths(event):
                trigger, rel = classify(self.sprint, path), relative(self.sprint, path)
                if trigger is not None and rel is not None:
                    candidates[rel.as_posix()] = trigger
        found = self._judge(candidates)
        if found:
            self._queue(found)

    def _judge(self, candidates: dict[str, Trigger]) -> dict[Trigger, list[str]]:
        own = {rel for rel in candidates if fsio.is_own_write(self._absolute(rel))}
        ignored = self._ignored([r for r, t in candidates.items() if t is Trigger.SOURCE])
        found: dict[Trigger, list[str]] = {}
        for rel, trigger in candidates.items():
            if trigger is Trigger.PLAN_PENDING and not self._plan_grew(rel, own=rel in own):
                continue
            if rel not in own and rel not in ignored:
                found.setdefault(trigger, []).append(rel)
        return found

    def _plan_grew(self, rel: str, *, own: bool) -> bool:
        path = self._absolute(rel)
        if own:
            self._plans.seen(path)  # loopd's own edit is the new baseline
            return False
        try:
            return self._plans.grew(path)
        except LoopdError as exc:
            self._problem(rel, str(exc))  # half-typed plan: judge it when it parses
            return False

    def _ignored(self, paths: list[str]) -> set[str]:
        try:
            return self._ignore.ignored(paths)
        except (LoopdError, OSError) as exc:
            self._problem(".gitignore", str(exc))  # better a needless re-run than a missed one
            return set()

    def _queue(self, found: dict[Trigger, list[str]]) -> None:
        with self._cond:
            for trigger, paths in found.items():
                self._queued.setdefault(trigger, {}).update(dict.fromkeys(paths))
            paused = self._paused
            self._cond.notify_all()
        for change in _changes({t: dict.fromkeys(p) for t, p in found.items()}):
            self._record(change, queued=paused)

    def _record(self, change: Change, *, queued: bool) -> None:
        if self._events is not None:
            self._events.append(
                WATCH_EVENT,
                trigger=change.trigger.value,
                paths=list(change.paths[:PATHS_LOGGED]),
                count=len(change.paths),
                queued=queued,
            )

    def _problem(self, path: str, message: str) -> None:
        if self._events is not None:
            self._events.append(PROBLEM_EVENT, path=path, message=message)

    def _absolute(self, rel: str) -> Path:
        return self.sprint.repo / rel


def _paths(event: FileSystemEvent) -> Iterable[Path]:
    yield Path(os.fsdecode(event.src_path))
    if event.dest_path:
        yield Path(os.fsdecode(event.dest_path))


def _changes(by_trigger: dict[Trigger, dict[str, None]]) -> list[Change]:
    return [Change(t, tuple(by_trigger[t])) for t in Trigger if by_trigger.get(t)]
