"""A checklist document (plan, test plan, value checklist): queries and byte-exact edits.

A :class:`Checklist` is immutable: every edit returns a new one whose text
differs from the old only in the marker character it changed or the lines it
appended.  :func:`edit` is the one way to change a file on disk: under the
sprint's file lock it re-reads, applies, and writes atomically only when the
text changed.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from loopd import fsio
from loopd.checklist.model import (
    MARKERS,
    NEXT_TASK_ORDER,
    DocKind,
    Item,
    Status,
    is_item_id,
    kind_of,
    task_kinds,
    tested_kinds,
)
from loopd.checklist.parser import Parsed
from loopd.checklist.reading import scan
from loopd.errors import LoopdError

_SAYS_BLOCKED = re.compile(r"\bBLOCKED\b")


class _Recent:
    """The checklists this process last read or wrote, by path and kind.

    The loop re-reads a document before every query and edit, and it is
    usually unchanged since loopd last touched it: comparing the text is a
    memory compare, parsing it again is milliseconds.  Checklists are
    immutable, so handing out the same one is safe.
    """

    SIZE = 16

    def __init__(self) -> None:
        self._known: dict[tuple[Path, DocKind], Checklist] = {}

    def get(self, path: Path, kind: DocKind) -> Checklist | None:
        return self._known.get((path, kind))

    def keep(self, path: Path, checklist: Checklist) -> Checklist:
        self._known.pop((path, checklist.kind), None)
        self._known[(path, checklist.kind)] = checklist
        while len(self._known) > self.SIZE:
            del self._known[next(iter(self._known))]
        return checklist


_RECENT = _Recent()


@dataclass(frozen=True, eq=False)
class Checklist:
    """The items of one document, with the exact text they came from.

    Build it with :meth:`parse` or :meth:`load`.  ``items`` are made on first
    use: an edit needs only the parsed offsets, and a marker edit keeps them.
    """

    path: Path | None
    kind: DocKind
    text: str
    parsed: Parsed = field(repr=False)

    @classmethod
    def parse(cls, text: str, kind: DocKind, path: Path | None = None) -> Checklist:
        """Parse ``text``: never refused; what is odd in it is in :attr:`warnings`."""
        windowed = tested_kinds(kind) if kind is DocKind.TEST_PLAN else frozenset[str]()
        return cls(path, kind, text, scan(text, windowed))

    @property
    def has_warnings(self) -> bool:
        """True when the document has anything odd (cheap: no strings built)."""
        return bool(self.parsed.oddities)

    @property
    def warnings(self) -> tuple[str, ...]:
        """One ``<path>:<line>: <message>`` per oddity of the document, in file order."""
        return self.warnings_relative_to(None)

    def warnings_relative_to(self, root: Path | None) -> tuple[str, ...]:
        """:attr:`warnings`, the path shown relative to ``root`` (the repository) when inside it."""
        if not self.parsed.oddities:
            return ()
        shown = "<text>" if self.path is None else str(self.path)
        if self.path is not None and root is not None and self.path.is_relative_to(root):
            shown = self.path.relative_to(root).as_posix()
        return tuple(f"{shown}:{line}: {message}" for line, message in self.parsed.oddities)

    @classmethod
    def load(cls, path: Path, kind: DocKind) -> Checklist:
        """Read and parse ``path``; a missing file is an empty checklist.

        Unchanged since this process last read or wrote it: the same checklist
        again, without parsing.
        """
        if not path.exists():
            return cls.parse("", kind, path)
        text = fsio.read_text(path)
        known = _RECENT.get(path, kind)
        if known is not None and known.text == text:
            return known
        return _RECENT.keep(path, cls.parse(text, kind, path))

    @functools.cached_property
    def items(self) -> tuple[Item, ...]:
        """Every item in file order, nested ones included."""
        return tuple(self._item(n) for n in range(len(self.parsed)))

    def _item(self, n: int) -> Item:
        parsed, text = self.parsed, self.text
        record, start, marker_at = parsed.record(n), parsed.start(n), parsed.marker_at(n)
        return Item(
            id=parsed.ids[n],
            kind=kind_of(parsed.ids[n]),
            status=self._status(n),
            text=record.text,
            line=record.line,
            block=text[start : record.end],
            e2e=record.e2e,
            cmd=record.cmd,
            span=(start, record.end),
            own_span=(start, record.own_end),
            marker_at=marker_at,
        )

    def get(self, item_id: str) -> Item | None:
        """The item with this exact ID, or None."""
        position = self.parsed.positions.get(item_id)
        return None if position is None else self._item(position)

    def _status(self, n: int) -> Status:
        parsed = self.parsed
        if parsed.first is None and not parsed.odd_markers:
            return MARKERS[self.text[parsed.marker_at(n)]]
        return _folded([self._marker(o) for o in parsed.occurrences(n)])

    def _marker(self, occurrence: int) -> Status:
        low, high = self.parsed.marker_span(occurrence)
        return MARKERS.get(self.text[low:high], Status.OTHER)

    def _statuses(self) -> list[Status]:
        text, parsed = self.text, self.parsed
        if parsed.first is None and not parsed.odd_markers:
            return [MARKERS[text[parsed.marker_at(n)]] for n in range(len(parsed))]
        return [self._status(n) for n in range(len(parsed))]

    def _where(self, kinds: Container[str] | None, status: Status | None = None) -> list[int]:
        """Positions of items of these kinds (all when None) and this status (any when None)."""
        statuses, found = self._statuses(), []
        for n, kind in enumerate(self.parsed.kinds):
            if (kinds is None or kind in kinds) and (status is None or statuses[n] is status):
                found.append(n)
        return found

    def counts(self) -> dict[str, dict[Status, int]]:
        """Item kind -> status -> number of items (every status present, zeros included)."""
        pairs = Counter(zip(self.parsed.kinds, self._statuses(), strict=True))
        result: dict[str, dict[Status, int]] = {}
        for (kind, status), number in pairs.items():
            if kind not in result:
                result[kind] = dict.fromkeys(Status, 0)
            result[kind][status] = number
        return result

    def pending(self, kinds: Iterable[str] | None = None) -> list[Item]:
        """Pending items in file order, of the given kinds (all kinds when None)."""
        wanted = None if kinds is None else frozenset(kinds)
        return [self._item(n) for n in self._where(wanted, Status.PENDING)]

    def pending_tests(self) -> list[Item]:
        """Pending tests in file order: what the test engine runs and completion waits for."""
        return [self._item(n) for n in self._where(tested_kinds(self.kind), Status.PENDING)]

    def tasks(self) -> list[Item]:
        """Items that are tasks in this kind of document (INT only in a plan)."""
        return [self._item(n) for n in self._where(task_kinds(self.kind))]

    def tests(self) -> list[Item]:
        """Items that are tests in this kind of document (INT everywhere but a plan)."""
        return [self._item(n) for n in self._where(tested_kinds(self.kind))]

    def next_task(self) -> Item | None:
        """The task to implement next: first pending BUILD, else INT (plans only), else Task."""
        allowed = task_kinds(self.kind)
        for kind in NEXT_TASK_ORDER:
            found = self._where({kind}, Status.PENDING) if kind in allowed else []
            if found:
                return self._item(found[0])
        return None

    def next_test(self, skip: Container[str] = ()) -> Item | None:
        """The first pending test, in file order, whose ID is not in ``skip``."""
        ids = self.parsed.ids
        for n in self._where(tested_kinds(self.kind), Status.PENDING):
            if ids[n] not in skip:
                return self._item(n)
        return None

    def blocked_values(self) -> list[Item]:
        """Items marked [B], or not done and saying BLOCKED in their own lines.

        Done items are left out: a delivered value that mentions an old
        blocker needs no re-check.
        """
        statuses = self._statuses()
        return [self._item(n) for n in range(len(statuses)) if self._says_blocked(n, statuses[n])]

    def _says_blocked(self, n: int, status: Status) -> bool:
        if status is Status.BLOCKED:
            return True
        if status is Status.DONE:
            return False
        own_end = self.parsed.bounds(n)[1]
        return _SAYS_BLOCKED.search(self.text, self.parsed.start(n), own_end) is not None

    def set_status(self, item_id: str, status: Status) -> Checklist:
        """A copy with ``item_id``'s marker set to ``status``; only marker characters change.

        An ID on several lines has every line's marker set, so they agree.
        An unknown marker (``[~]``, or not one character) is replaced whole.
        """
        if status is Status.OTHER:
            raise ValueError("Status.OTHER is read, never written")
        occurrences = self.parsed.occurrences(self._position(item_id))
        markers = [self._marker(o) for o in occurrences]
        if all(marker is status for marker in markers):
            return self
        if Status.OTHER not in markers:
            # Same length, so every parsed offset (and every warning) still holds.
            text = self.text
            for occurrence in occurrences:
                at = self.parsed.marker_span(occurrence)[0]
                text = f"{text[:at]}{status.value}{text[at + 1 :]}"
            return replace(self, text=text)
        spans = [self.parsed.marker_span(o) for o in occurrences]
        text = self.text
        for low, high in reversed(spans):
            text = f"{text[:low]}{status.value}{text[high:]}"
        return Checklist.parse(text, self.kind, self.path)

    def reset(self, item_id: str) -> Checklist:
        """A copy with ``item_id`` pending again."""
        return self.set_status(item_id, Status.PENDING)

    def append_task(self, item_id: str, text: str, details: Sequence[str] = ()) -> Checklist:
        """A copy with a pending ``item_id`` appended at the end; unchanged if the ID exists.

        ``text`` (first line on the item line) and ``details`` become the
        item's indented continuation lines; the file's newline style is kept.
        """
        if item_id in self.parsed.positions:
            return self
        if not is_item_id(item_id):
            raise LoopdError(
                f"cannot append {item_id!r}: not a checklist ID",
                path=self.path,
                hint="IDs look like BUILD-001, FIX-BT-003 or Task 4",
            )
        newline = _newline_of(self.text)
        body = self.text if not self.text or self.text.endswith("\n") else self.text + newline
        lines = _task_lines(item_id, text, details)
        result = Checklist.parse(body + newline.join(lines) + newline, self.kind, self.path)
        self._check_appended(result, item_id, body.count("\n") + 1)
        return result

    def _check_appended(self, result: Checklist, item_id: str, line: int) -> None:
        added = result.get(item_id)
        grew = len(result.parsed.starts) == len(self.parsed.starts) + 1  # one more item line
        if added is None or added.line != line or not grew:
            raise LoopdError(
                f"appending {item_id} would not add exactly one item",
                path=self.path,
                line=line,
                hint="the text or details contain a checklist item line, or the file ends "
                "inside a code fence or comment",
            )

    def _position(self, item_id: str) -> int:
        position = self.parsed.positions.get(item_id)
        if position is None:
            raise LoopdError(f"no item {item_id} in this document", path=self.path)
        return position


def _folded(markers: list[Status]) -> Status:
    """The status of an item on several lines: pending while any line is, else the first's."""
    return Status.PENDING if Status.PENDING in markers else markers[0]


def _newline_of(text: str) -> str:
    # The line break nearest the end is the style the appended lines continue.
    last = text.rfind("\n")
    return "\r\n" if last > 0 and text[last - 1] == "\r" else "\n"


def _task_lines(item_id: str, text: str, details: Sequence[str]) -> list[str]:
    head, *more = text.splitlines() or [""]
    head = head.strip()
    first = f"- [ ] **{item_id}**: {head}" if head else f"- [ ] **{item_id}**"
    rest = [*more, *(line for detail in details for line in detail.splitlines() or [""])]
    lines = [first, *(f"  {line.rstrip()}" if line.strip() else "" for line in rest)]
    while lines[-1] == "":
        lines.pop()
    return lines


def edit(
    path: Path, kind: DocKind, lock_path: Path, change: Callable[[Checklist], Checklist]
) -> Checklist:
    """Apply ``change`` to the document at ``path`` under ``lock_path`` and save it.

    The file is re-read under the lock (another process may have edited it),
    and written atomically only if the text changed.  Any LoopdError (a
    malformed file, an unknown ID) propagates with the file untouched.
    """
    with fsio.locked(lock_path):
        before = Checklist.load(path, kind)
        after = change(before)
        if after.text != before.text:
            fsio.atomic_write(path, after.text)
            _RECENT.keep(path, after)
        return after
