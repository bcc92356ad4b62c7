"""Pending items per plan, as the watcher last saw them: growth is the trigger.

A person adding a task (or un-ticking one) grows the count; ticking a task
done or loopd's own rewrite does not resume anything.
"""

from __future__ import annotations

from pathlib import Path

from loopd import fsio
from loopd.checklist import Checklist, DocKind, Status
from loopd.errors import LoopdError
from loopd.sprint import Sprint


def plan_kinds(sprint: Sprint) -> dict[Path, DocKind]:
    """The sprint's checklists whose pending items the loop works through."""
    return {sprint.plan: DocKind.PLAN, sprint.beta_plan: DocKind.TEST_PLAN}


def pending_count(path: Path, kind: DocKind) -> int:
    """Pending items in ``path`` (0 when missing); LoopdError when malformed."""
    if not path.exists():
        return 0
    # parse, not load: load's cache of recent checklists belongs to the loop's thread.
    counts = Checklist.parse(fsio.read_text(path), kind, path).counts()
    return sum(by_status[Status.PENDING] for by_status in counts.values())


class PendingCounts:
    """The pending count of each plan when last seen."""

    def __init__(self, sprint: Sprint) -> None:
        self.kinds = plan_kinds(sprint)
        self._seen: dict[Path, int] = {}

    def baseline(self) -> None:
        """Remember the counts now (a malformed plan counts as empty until it parses)."""
        for path in self.kinds:
            self._seen[path] = self._count_or_zero(path)

    def grew(self, path: Path) -> bool:
        """Whether ``path`` has more pending items than when last seen; remember the new count.

        Raises LoopdError (count unchanged) when the plan does not parse.
        """
        now = pending_count(path, self.kinds[path])
        before = self._seen.get(path, 0)
        self._seen[path] = now
        return now > before

    def seen(self, path: Path) -> None:
        """Take the current count as seen without judging it (loopd's own write)."""
        self._seen[path] = self._count_or_zero(path)

    def has_pending(self, path: Path) -> bool:
        """Whether ``path`` has pending items now (False when it does not parse)."""
        return self._count_or_zero(path) > 0

    def _count_or_zero(self, path: Path) -> int:
        try:
            return pending_count(path, self.kinds[path])
        except LoopdError:
            return 0
