"""Watching a sprint's repo while the daemon is idle: what changed, and what it means.

``Watcher(sprint, config.watch, clock, events)``; ``wait()`` returns
:class:`Change` s by :class:`Trigger`; ``pause()``/``resume()`` around a run
of the loop.  :func:`classify` is the pure path rule behind it.
"""

from loopd.watch.classify import EDITOR_TEMP_PATTERNS, Trigger, classify, is_editor_temp
from loopd.watch.watcher import PROBLEM_EVENT, WATCH_EVENT, Change, Watcher

__all__ = [
    "EDITOR_TEMP_PATTERNS",
    "PROBLEM_EVENT",
    "WATCH_EVENT",
    "Change",
    "Trigger",
    "Watcher",
    "classify",
    "is_editor_temp",
]
