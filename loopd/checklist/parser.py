"""Reading a checklist document: its items, where each item's block is, and what is odd.

Parsing has two halves.  The eager half finds the item lines and notes every
oddity of the document as a warning (an unknown marker, an ID seen again, an
odd ``**Task...**`` ID, a fence never closed, a repeated, empty or wrapped
annotation); nothing a file loop-v2 could have written is refused.  The lazy
half works out each item's block, line number, text and annotation values
the first time they are asked for; an edit that only flips a marker never
needs them.  Both halves are regular expressions over the whole text, not a
Python loop over its lines: loopd re-reads a document under its lock before
every edit.

An item is one ID.  When an ID appears on several item lines (loop-v2
appends ``REG-<test>`` tasks again and again), the first line is the item
(its line, block and text) and the later ones are its other occurrences:
see :class:`Parsed`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Container
from typing import NamedTuple

from loopd.checklist import notes
from loopd.checklist.model import ID_PATTERN, kind_of
from loopd.checklist.spans import Hidden, block_end, indent_width, line_end, trim, window_end

# Group 3 is the ID; "Task" followed by anything (Task 3a, Task: title) is read too.
_ITEM = (
    r"([ \t]*)(?:[-*+][ \t]+\[([^\]\r\n]{0,3})\][ \t]+\*\*"
    r"(" + ID_PATTERN + r"|Task(?![a-z])[^*\r\n]*?)"
    r"(?::\*\*|\*\*|:[ \t]+([^*\r\n]*?)\*\*)([^\n]*)"
    r"|(```|~~~|<!--))"  # group 6: a fence or comment may start here
)
# One pass finds item lines and fence/comment openers; a literal "\n" first lets
# the regex engine jump from line to line.  A byte-order mark may precede line 1.
FIRST_LINE = re.compile("\ufeff?" + _ITEM)
NEXT_LINE = re.compile("\n" + _ITEM)
# Among the IDs of the item lines, one per line: a Task that is not Task N.N (none in most
# documents; searched at C speed instead of a Python loop over the IDs).
ODD_TASK_ID = re.compile(r"^Task(?! \d+(?:\.\d+)*$)", re.MULTILINE)


class Record(NamedTuple):
    """The lazily worked-out facts of one item."""

    line: int
    end: int
    own_end: int
    text: str
    e2e: str | None
    cmd: str | None


class Parsed:
    """Item lines of one text, plus a cache of their records.

    Occurrences are the item lines in file order (``matches``, ``starts``);
    items are the distinct IDs in order of first appearance (``ids``).
    ``first[i]`` is item ``i``'s first occurrence (None when no ID repeats:
    then items and occurrences are the same), ``later[i]`` its other ones.

    ``windowed``: item kinds whose block, when it is only the item's own line,
    is loop-v2's test window instead (the tests of a beta test plan).

    A marker edit keeps every offset, so the edited document shares this.
    """

    def __init__(
        self, text: str, matches: list[re.Match[str]], hidden: Hidden, windowed: Container[str]
    ) -> None:
        self.text = text
        self.hidden = hidden
        self.matches = matches
        self.windowed = windowed
        self.starts = [match.start(1) for match in matches]
        # The ID of each occurrence; the same list as ``ids`` when no ID repeats.
        self.occurrence_ids = [match.group(3) for match in matches]
        self.ids = self.occurrence_ids
        self.titles: dict[int, str] = {}  # occurrence -> title, for odd Task lines
        self.first: list[int] | None = None
        self.later: dict[int, list[int]] = {}
        self.positions: dict[str, int] = {}
        self.odd_markers = False  # some marker is unknown (and maybe not one character)
        # (line, message) of every oddity in file order; (offset, message) while scanning.
        self.oddities: list[tuple[int, str]] = []
        self._kinds: list[str] = []
        # Annotation offsets by key, and the index of the occurrence before each.
        self.notes: dict[str, tuple[list[int], list[int]]] = {key: ([], []) for key in notes.KEYS}
        self._records: dict[int, Record] = {}
        self._bounds: dict[int, tuple[int, int]] = {}
        self._lines: list[int] = []
        self._last_line_end = -1

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def kinds(self) -> list[str]:
        """Kind of each item, in order."""
        if len(self._kinds) != len(self.ids):
            self._kinds = [kind_of(item_id) for item_id in self.ids]
        return self._kinds

    def occurrence(self, n: int) -> int:
        """Item ``n``'s first occurrence."""
        return n if self.first is None else self.first[n]

    def occurrences(self, n: int) -> list[int]:
        """Every occurrence of item ``n``, in file order."""
        first = self.occurrence(n)
        return [first, *self.later[n]] if n in self.later else [first]

    def start(self, n: int) -> int:
        """Offset of item ``n``'s line."""
        return self.starts[self.occurrence(n)]

    def marker_at(self, n: int) -> int:
        """Offset of item ``n``'s marker (of its first occurrence)."""
        return self.matches[self.occurrence(n)].start(2)

    def marker_span(self, occurrence: int) -> tuple[int, int]:
        """Where an occurrence's marker is: it may be empty or longer than one character."""
        return self.matches[occurrence].span(2)

    def record(self, n: int) -> Record:
        """Line, block end, own end, text and annotations of item ``n``."""
        occurrence = self.occurrence(n)
        cached = self._records.get(occurrence)
        if cached is None:
            cached = self._records[occurrence] = self._layout(occurrence)
        return cached

    def line(self, occurrence: int) -> int:
        """1-based line of an occurrence."""
        if not self._lines:
            bounds = itertools.pairwise([0, *self.starts])
            counts = (self.text.count("\n", a, b) for a, b in bounds)
            self._lines = [1 + total for total in itertools.accumulate(counts)]
        return self._lines[occurrence]

    def bounds(self, n: int) -> tuple[int, int]:
        """End of item ``n``'s block, and of its own lines (before its first nested item)."""
        return self.occurrence_bounds(self.occurrence(n))

    def occurrence_bounds(self, occurrence: int) -> tuple[int, int]:
        cached = self._bounds.get(occurrence)
        if cached is None:
            text, start = self.text, self.starts[occurrence]
            if self._last_line_end < 0:
                self._last_line_end = trim(text, 0, len(text))
            width = indent_width(self.matches[occurrence].group(1))
            end = block_end(text, self.hidden, start, width, self._last_line_end)
            following = occurrence + 1
            child = self.starts[following] if following < len(self.starts) else end
            cached = end, trim(text, start, child) if child < end else end
            self._bounds[occurrence] = cached
        return cached

    def reach(self, occurrence: int) -> tuple[int, int]:
        """Block end and own end as the item is read: loop-v2's window for a one-line test."""
        end, own_end = self.occurrence_bounds(occurrence)
        if not self.windowed:
            return end, own_end  # not a beta test plan
        start = self.starts[occurrence]
        if end <= line_end(self.text, start) and self._is_windowed(occurrence):
            window = window_end(self.text, start)
            following = occurrence + 1
            if following < len(self.starts) and self.starts[following] < window:
                window = trim(self.text, start, self.starts[following])  # the next item's line
            end = own_end = max(end, window)
        return end, own_end

    def _is_windowed(self, occurrence: int) -> bool:
        return kind_of(self.occurrence_ids[occurrence]) in self.windowed

    def _layout(self, occurrence: int) -> Record:
        end, own_end = self.reach(occurrence)
        e2e = self.note_value("E2E", occurrence, own_end)
        cmd = self.note_value("cmd", occurrence, own_end)
        text = _text(self.matches[occurrence], self.titles.get(occurrence))
        return Record(self.line(occurrence), end, own_end, text, e2e, cmd)

    def note_value(self, key: str, occurrence: int, own_end: int) -> str | None:
        """The first readable annotation of ``key`` in an occurrence's own lines."""
        positions, owners = self.notes[key]
        k = bisect.bisect_left(owners, occurrence)
        while k < len(owners) and owners[k] == occurrence and positions[k] < own_end:
            found = notes.value(self.text, key, positions[k])
            if found is not None:
                return found
            k += 1
        return None


def _text(match: re.Match[str], title: str | None) -> str:
    """What follows the bold ID (and, for ``**ID: title**``, the title), minus the colon."""
    inner = title if title is not None else match.group(4)
    rest = match.group(5).strip()
    if rest.startswith(":"):
        rest = rest[1:].lstrip()
    return " ".join(part for part in ((inner or "").strip(), rest) if part)
