"""Reading a checklist document: its items, checked, and where each item's block is.

Parsing has two halves.  The eager half finds the item lines and checks the
whole document (markers, duplicate IDs, annotations, unclosed fences), so a
malformed file is refused before anything is written.  The lazy half works
out each item's block, line number, text and annotation values the first
time they are asked for; an edit that only flips a marker never needs them.
Both halves are regular expressions over the whole text, not a Python loop
over its lines: loopd re-reads a document under its lock before every edit.
"""

from __future__ import annotations

import bisect
import itertools
import re
from pathlib import Path
from typing import NamedTuple

from loopd.checklist.model import ID_PATTERN, MARKERS, kind_of
from loopd.checklist.spans import Hidden, block_end, indent_width, trim
from loopd.errors import LoopdError

_ITEM = (
    r"([ \t]*)(?:[-*+][ \t]+\[([^\]\r\n]{0,3})\][ \t]+\*\*(" + ID_PATTERN + r")"
    r"(?::\*\*|\*\*|:[ \t]+([^*\r\n]*?)\*\*)([^\n]*)"
    r"|(```|~~~|<!--))"  # group 6: a fence or comment may start here
)
# One pass finds item lines and fence/comment openers; a literal "\n" first lets
# the regex engine jump from line to line.  A byte-order mark may precede line 1.
_FIRST_LINE = re.compile("\ufeff?" + _ITEM)
_NEXT_LINE = re.compile("\n" + _ITEM)
_KEYS = ("E2E", "cmd")
_NOTE = {
    "E2E": re.compile(r'\*\([eE]2[eE][ \t]*:[ \t]*"([^\n]*?)"\)\*'),
    "cmd": re.compile(r'\*\([cC][mM][dD][ \t]*:[ \t]*"([^\n]*?)"\)\*'),
}
# The start of any annotation: group 1 is set for E2E (else it is cmd); group 2 (empty)
# is set when it is malformed: no closing ")* on its line, or only blanks before it.
_ANY_NOTE = re.compile(
    r"\*\((?:([eE]2[eE])|[cC][mM][dD])[ \t]*:"
    r'(?:(?=[ \t]*"[^\n]*"\)\*)(?![ \t]*"[^\S\n]*"\)\*)|())'
)
_MARKER_HINT = "use [ ] pending, [x] done, [B] blocked or [U] needs a user"


class Record(NamedTuple):
    """The lazily worked-out facts of one item."""

    line: int
    end: int
    own_end: int
    text: str
    e2e: str | None
    cmd: str | None


class Parsed:
    """Item offsets of one text, plus a cache of their records.

    A marker edit keeps every offset, so the edited document shares this.
    """

    def __init__(self, text: str, matches: list[re.Match[str]], hidden: Hidden) -> None:
        self.text = text
        self.hidden = hidden
        self.matches = matches
        self.ids = [match.group(3) for match in matches]
        self.starts = [match.start(1) for match in matches]
        self.positions = dict(zip(self.ids, range(len(self.ids)), strict=True))
        self._kinds: list[str] = []
        # Annotation offsets by key, and the index of the item line before each.
        self.notes: dict[str, tuple[list[int], list[int]]] = {key: ([], []) for key in _KEYS}
        self._records: dict[int, Record] = {}
        self._bounds: dict[int, tuple[int, int]] = {}
        self._lines: list[int] = []
        self._last_line_end = -1

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def kinds(self) -> list[str]:
        """Kind of each item, in file order."""
        if len(self._kinds) != len(self.ids):
            self._kinds = [kind_of(item_id) for item_id in self.ids]
        return self._kinds

    def marker_at(self, n: int) -> int:
        """Offset of item ``n``'s marker character."""
        return self.matches[n].start(2)

    def record(self, n: int) -> Record:
        """Line, block end, own end, text and annotations of item ``n``."""
        cached = self._records.get(n)
        if cached is None:
            cached = self._records[n] = self._layout(n)
        return cached

    def _line(self, n: int) -> int:
        if not self._lines:
            bounds = itertools.pairwise([0, *self.starts])
            counts = (self.text.count("\n", a, b) for a, b in bounds)
            self._lines = [1 + total for total in itertools.accumulate(counts)]
        return self._lines[n]

    def bounds(self, n: int) -> tuple[int, int]:
        """End of item ``n``'s block, and of its own lines (before its first nested item)."""
        cached = self._bounds.get(n)
        if cached is None:
            text, start = self.text, self.starts[n]
            if self._last_line_end < 0:
                self._last_line_end = trim(text, 0, len(text))
            width = indent_width(self.matches[n].group(1))
            end = block_end(text, self.hidden, start, width, self._last_line_end)
            child = self.starts[n + 1] if n + 1 < len(self.starts) else end
            cached = self._bounds[n] = end, trim(text, start, child) if child < end else end
        return cached

    def _layout(self, n: int) -> Record:
        end, own_end = self.bounds(n)
        e2e, cmd = self._value("E2E", n, own_end), self._value("cmd", n, own_end)
        return Record(self._line(n), end, own_end, _text(self.matches[n]), e2e, cmd)

    def _value(self, key: str, n: int, own_end: int) -> str | None:
        positions, owners = self.notes[key]
        first = bisect.bisect_left(owners, n)
        if first == len(owners) or owners[first] != n or positions[first] >= own_end:
            return None
        match = _NOTE[key].match(self.text, positions[first])
        assert match is not None  # checked when parsed
        return match.group(1)


def _text(match: re.Match[str]) -> str:
    """What follows the bold ID (and, for ``**ID: title**``, the title), minus the colon."""
    inner, rest = match.group(4), match.group(5).strip()
    if rest.startswith(":"):
        rest = rest[1:].lstrip()
    return " ".join(part for part in ((inner or "").strip(), rest) if part)


class _Checker:
    """The eager half: finds item lines and refuses a malformed document."""

    def __init__(self, text: str, path: Path | None) -> None:
        self.text = text
        self.path = path

    def fail(self, message: str, position: int, hint: str | None = None) -> LoopdError:
        line = self.text.count("\n", 0, position) + 1
        return LoopdError(message, path=self.path, line=line, hint=hint)

    def lines(self) -> tuple[list[re.Match[str]], Hidden]:
        """Item lines outside code fences and comments, and those fences and comments."""
        text = self.text
        first = _FIRST_LINE.match(text)
        matches = ([first] if first else []) + list(_NEXT_LINE.finditer(text))
        items = [match for match in matches if match.start(6) < 0]
        if len(items) == len(matches):
            return items, Hidden(text, [])
        hidden = Hidden(text, [match.start(6) for match in matches if match.start(6) >= 0])
        return self.visible(items, hidden), hidden

    def visible(self, items: list[re.Match[str]], hidden: Hidden) -> list[re.Match[str]]:
        starts = [match.start(1) for match in items]
        hidden_items: set[int] = set()
        for low, high in hidden.spans:
            first, last = bisect.bisect_left(starts, low), bisect.bisect_left(starts, high)
            if first < last and low == hidden.unclosed:
                line = self.text.count("\n", 0, starts[first]) + 1
                message = f"code fence or comment never closed: it hides the item on line {line}"
                raise self.fail(message, low - 1)
            hidden_items.update(range(first, last))
        if not hidden_items:
            return items
        return [match for n, match in enumerate(items) if n not in hidden_items]

    def markers(self, matches: list[re.Match[str]]) -> None:
        if {match.group(2) for match in matches}.issubset(MARKERS):
            return
        bad = next(match for match in matches if match.group(2) not in MARKERS)
        message = f"unknown marker [{bad.group(2)}] on {bad.group(3)}"
        raise self.fail(message, bad.start(1), _MARKER_HINT)

    def unique(self, parsed: Parsed) -> None:
        if len(parsed.positions) == len(parsed):
            return
        seen: dict[str, int] = {}
        for item_id, start in zip(parsed.ids, parsed.starts, strict=True):
            if item_id in seen:
                first = self.text.count("\n", 0, seen[item_id]) + 1
                raise self.fail(f"{item_id} appears twice (first on line {first})", start)
            seen[item_id] = start

    def notes(self, parsed: Parsed) -> None:
        """Find annotations; refuse a malformed one, or two of a kind, in an item's own lines."""
        if not parsed.starts:
            return
        text, starts = self.text, parsed.starts
        matches = [
            match
            for low, high in parsed.hidden.visible(starts[0], len(text))
            for match in _ANY_NOTE.finditer(text, low, high)
        ]
        for match in (match for match in matches if match.start(2) >= 0):
            self.malformed(parsed, match.start())
        e2e = [match.start() for match in matches if match.start(1) >= 0]
        cmd = [match.start() for match in matches if match.start(1) < 0]
        for key, positions in zip(_KEYS, (e2e, cmd), strict=True):
            owners = [
                owner - 1 for owner in map(bisect.bisect_right, itertools.repeat(starts), positions)
            ]
            parsed.notes[key] = positions, owners
            if len(set(owners)) < len(owners):
                self.repeated(parsed, key)

    def malformed(self, parsed: Parsed, at: int) -> None:
        owner = bisect.bisect_right(parsed.starts, at) - 1
        if at >= parsed.bounds(owner)[1]:
            return  # not in an item's own lines: loopd never reads it
        key = "E2E" if self.text[at + 2] in "eE" else "cmd"
        value = _NOTE[key].match(self.text, at)
        problem = "empty" if value else 'not closed by ")* on its line'
        raise self.fail(
            f"{key} annotation on {parsed.ids[owner]} is {problem}",
            at,
            f'write *({key}: "...")* on one line',
        )

    def repeated(self, parsed: Parsed, key: str) -> None:
        seen: set[int] = set()
        for at, owner in zip(*parsed.notes[key], strict=True):
            if at >= parsed.bounds(owner)[1]:
                continue
            if owner in seen:
                raise self.fail(f"{parsed.ids[owner]} has more than one {key} annotation", at)
            seen.add(owner)


def scan(text: str, path: Path | None = None) -> Parsed:
    """Parse ``text``; raise LoopdError naming ``path`` and the line if it is malformed."""
    checker = _Checker(text, path)
    matches, hidden = checker.lines()
    checker.markers(matches)
    parsed = Parsed(text, matches, hidden)
    checker.unique(parsed)
    checker.notes(parsed)
    return parsed
