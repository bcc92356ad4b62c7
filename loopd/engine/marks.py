"""The marks loopd wrote in a checklist, and noticing when one is gone.

An editor that had the plan open saves its stale copy over it: every mark
loopd wrote since the editor read the file (``[B]``, ``[U]``, a test's
``[x]``) is gone, and the loop would quietly redo or re-test those items.
The file stays the truth (a user unchecking an item to have it done again
looks the same), so loopd keeps going with what the file says; but the first
time it reads a checklist without a mark it wrote, it says so, once per mark,
naming the item and what the mark was.  An item that is gone altogether is
forgotten without a word (a new test plan replaces the old).  Remembered for the process's life
(a daemon's runs), not across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loopd.checklist import Checklist, DocKind, Status

# The marks that record loopd's decisions.  A reset to [ ] is not one: the agent
# marks that item done next, as it should.
_KEPT = frozenset({Status.DONE, Status.BLOCKED, Status.USER})


@dataclass
class MarkKeeper:
    """Per document kind: item ID -> the status loopd last wrote for it."""

    _written: dict[DocKind, dict[str, Status]] = field(default_factory=dict)
    _seen: dict[DocKind, Checklist] = field(default_factory=dict)

    def wrote(self, before: Checklist, after: Checklist) -> Checklist:
        """Remember the marks an edit changed (``before`` -> ``after``); return ``after``."""
        if after.text == before.text:
            return after
        old = {item.id: item.status for item in before.items}
        written = self._written.setdefault(after.kind, {})
        for item in after.items:
            if old.get(item.id) != item.status:
                if item.status in _KEPT:
                    written[item.id] = item.status
                else:
                    written.pop(item.id, None)
        self._seen[after.kind] = after
        return after

    def lost(self, checklist: Checklist) -> list[tuple[int, str]]:
        """(line, message) for each mark loopd wrote that ``checklist`` no longer has; forgotten."""
        written = self._written.get(checklist.kind)
        if not written or self._seen.get(checklist.kind) is checklist:
            return []
        self._seen[checklist.kind] = checklist
        found: list[tuple[int, str]] = []
        for item_id, status in list(written.items()):
            item = checklist.get(item_id)
            if item is not None and item.status is status:
                continue
            del written[item_id]
            if item is None:
                continue  # the document was replaced (a new test plan): not a lost mark
            message = (
                f"{item_id}: loopd marked it [{status.value}] and it is [{_marker(item.status)}]"
                " now (an editor saving a stale copy loses loopd's marks): going on with what"
                " the file says"
            )
            found.append((item.line, message))
        return found


def _marker(status: Status) -> str:
    return status.value if len(status.value) == 1 else "?"
