"""Which directories the observer watches, kept in step as top-level directories come and go.

Watching the repo recursively would put an inotify watch on every directory
of node_modules/, .venv/ or .git/objects/ and can exhaust the kernel's watch
limit before any source file is seen.  Instead: the repo root and .loopd/
shallowly, .loopd/prompts/ and each top-level directory git does not ignore
recursively (git never looks inside an ignored directory either).  The
sprint's own top-level directory is watched even when ignored.

Every method runs on the observer's thread (or before it starts): watchdog
calls handlers under its own lock, and changing watches from another thread
while holding a lock of ours could deadlock with it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path, PurePosixPath

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver, ObservedWatch

from loopd.clock import Clock
from loopd.errors import LoopdError
from loopd.sprint import RUNTIME_DIR, Sprint
from loopd.watch.classify import GIT_DIR, PROMPTS_DIR, relative
from loopd.watch.ignore import GitIgnore

PROMPTS = f"{RUNTIME_DIR}/{PROMPTS_DIR}"
# Opens, reads and closes never change a file; leaving them out of the kernel's
# mask also keeps loopd's own reads of a plan from waking the watcher.
EVENT_TYPES: tuple[type[FileSystemEvent], ...] = (
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
)
REMOVED_GRACE = 1.0  # seconds a removed directory's last events may take to arrive
_CONTAINERS = frozenset({".", RUNTIME_DIR})  # shallow watches whose new subdirectories count


class Layout:
    """The observer's watches for one sprint's repo."""

    def __init__(
        self,
        sprint: Sprint,
        observer: BaseObserver,
        handler: FileSystemEventHandler,
        ignore: GitIgnore,
        clock: Clock,
    ) -> None:
        self.sprint = sprint
        self._observer = observer
        self._handler = handler
        self._ignore = ignore
        self._clock = clock
        self._watches: dict[str, ObservedWatch] = {}
        self._removed: dict[str, float] = {}  # removed directory -> when
        sprint_rel = relative(sprint, sprint.dir)
        self._sprint_top = sprint_rel.parts[0] if sprint_rel and sprint_rel.parts else None

    def schedule_all(self) -> None:
        """Schedule the root and every directory that should be watched now."""
        self._schedule("", recursive=False)
        for rel in (RUNTIME_DIR, PROMPTS, *self._top_level_dirs()):
            self.adopt(rel)

    def adopt(self, rel: str) -> list[Path]:
        """Watch directory ``rel`` if it should be; return the files already inside it.

        A directory made and filled at once (``cp -r``, ``git checkout``) has
        files before its watch exists: the caller reports those as created.
        """
        recursive = self._mode(rel)
        absolute = self.sprint.repo / rel
        if recursive is None or rel in self._watches or not absolute.is_dir():
            return []
        if not self._schedule(rel, recursive=recursive):
            return []
        return _files_in(absolute) if recursive else []

    def drop(self, rel: str) -> None:
        """Stop watching ``rel`` (it was removed or renamed) so it can be watched anew."""
        self._removed.pop(rel, None)
        watch = self._watches.pop(rel, None)
        if watch is not None:
            self._observer.unschedule(watch)

    def on_dir_event(self, event: FileSystemEvent) -> list[Path]:
        """Follow a directory created, removed or renamed at a watched level; new files inside.

        A renamed directory's watch goes at once: it would report the files
        under the old name.  A removed one's goes a little later (see
        :meth:`tidy`): at once would drop the deletions of its files still on
        their way from its watch thread.
        """
        if isinstance(event, DirDeletedEvent):
            gone = self._watch_root(event.src_path)
            if gone is not None:
                self._removed[gone] = self._clock.monotonic()
        new = None
        if isinstance(event, DirMovedEvent):
            gone = self._watch_root(event.src_path)
            if gone is not None:
                self.drop(gone)
            new = self._watch_root(event.dest_path)
        elif isinstance(event, DirCreatedEvent):
            new = self._watch_root(event.src_path)
        if new is None:
            return []
        self.drop(new)  # the watch of a removed directory of that name
        return self.adopt(new)

    def tidy(self) -> None:
        """Drop the watches of directories removed more than REMOVED_GRACE seconds ago."""
        now = self._clock.monotonic()
        for rel, when in list(self._removed.items()):
            if now - when >= REMOVED_GRACE:
                self.drop(rel)

    def _watch_root(self, path: bytes | str) -> str | None:
        """``path`` repo-relative if it is a directory that would have a watch of its own."""
        rel = relative(self.sprint, Path(os.fsdecode(path)))
        if rel is None or (rel.parent.as_posix() not in _CONTAINERS and rel.as_posix() != PROMPTS):
            return None
        return rel.as_posix()

    def _mode(self, rel: str) -> bool | None:
        """True: watch recursively; False: shallowly; None: not a directory of its own."""
        if rel == RUNTIME_DIR:
            return False
        if rel == PROMPTS:
            return True
        parts = PurePosixPath(rel).parts
        if len(parts) != 1 or rel in (GIT_DIR, RUNTIME_DIR):
            return None
        if rel == self._sprint_top:
            return True
        return None if self._is_ignored(f"{rel}/") else True

    def _is_ignored(self, rel: str) -> bool:
        try:
            return bool(self._ignore.ignored([rel]))
        except (LoopdError, OSError):
            return False  # git cannot tell: watching too much beats missing a change

    def _top_level_dirs(self) -> list[str]:
        return sorted(
            entry.name
            for entry in os.scandir(self.sprint.repo)
            if entry.is_dir(follow_symlinks=False)
        )

    def _schedule(self, rel: str, *, recursive: bool) -> bool:
        try:
            watch = self._observer.schedule(
                self._handler,
                self.sprint.repo / rel,
                recursive=recursive,
                event_filter=list(EVENT_TYPES),
            )
        except FileNotFoundError:
            return False  # gone again before its watch was added
        except OSError as exc:
            raise watch_error(self.sprint.repo / rel, exc) from None
        self._watches[rel] = watch
        return True


def _files_in(directory: Path) -> list[Path]:
    return [Path(root, name) for root, _, names in os.walk(directory) for name in sorted(names)]


def watch_error(path: Path, exc: OSError) -> LoopdError:
    """The error to show when the kernel refuses a watch on ``path``."""
    if exc.errno == errno.ENOSPC:
        return LoopdError(
            "cannot watch: the kernel's inotify watch limit is reached",
            path=path,
            hint="raise fs.inotify.max_user_watches, or run with --no-watch",
        )
    return LoopdError(f"cannot watch: {exc.strerror or exc}", path=path)
