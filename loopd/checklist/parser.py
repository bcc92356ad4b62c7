"""Reading a checklist document: its items, checked, and where each item's block is.

Parsing has two halves.  The eager half finds the item lines and checks the
whole document (markers, duplicate IDs, annotations, unclosed fences), so a
malformed file is refused before anything is written.  The lazy half works
out each item's block, line number and text the first time they are asked
for; an edit that only flips a marker never needs them.  Both halves are
regular expressions over the whole text, not a Python loop over its lines:
loopd re-reads a document under its lock before every edit.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from loopd.checklist.model import ID_PATTERN, MARKERS
from loopd.checklist.spans import Hidden, block_end, indent_width, trim
from loopd.errors import LoopdError

_ITEM_BODY = (
    r"([ \t]*)[-*+][ \t]+\[([^\]\r\n]{0,3})\][ \t]+\*\*(" + ID_PATTERN + r")"
    r"(?::\*\*|\*\*|:[ \t]+([^*\r\n]*?)\*\*)([^\n]*)"
)
_FIRST_ITEM = re.compile("\ufeff?" + _ITEM_BODY)  # a byte-order mark may precede line 1
# A literal "\n" first lets the regex engine jump from line to line.
_NEXT_ITEM = re.compile(r"\n" + _ITEM_BODY)
# One pattern per key, so the key is known without looking at each match.
_NOTES = {
    "E2E": re.compile(r'\*\([eE]2[eE][ \t]*:[ \t]*(?:"([^\n]*?)"\)\*)?'),
    "cmd": re.compile(r'\*\([cC][mM][dD][ \t]*:[ \t]*(?:"([^\n]*?)"\)\*)?'),
}
_MARKER_HINT = "use [ ] pending, [x] done, [B] blocked or [U] needs a user"

# An annotation: (offset, value or None when not closed by ")*, index of the item line before it)
Note = tuple[int, str | None, int]


@dataclass(frozen=True, slots=True)
class Record:
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
        self.notes: dict[str, list[Note]] = {key: [] for key in _NOTES}
        self._records: dict[int, Record] = {}
        self._lines: list[int] = []
        self._notes_by_owner: dict[tuple[str, int], list[Note]] = {}

    def __len__(self) -> int:
        return len(self.ids)

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

    def _layout(self, n: int) -> Record:
        text, start, match = self.text, self.starts[n], self.matches[n]
        end = block_end(text, self.hidden, start, indent_width(match.group(1)))
        child = self.starts[n + 1] if n + 1 < len(self.starts) else end
        own_end = trim(text, start, child) if child < end else end
        e2e, cmd = (self._value(key, n, own_end) for key in _NOTES)
        return Record(self._line(n), end, own_end, _text(match), e2e, cmd)

    def _value(self, key: str, n: int, own_end: int) -> str | None:
        if not self._notes_by_owner:
            for each in _NOTES:
                for note in self.notes[each]:
                    self._notes_by_owner.setdefault((each, note[2]), []).append(note)
        mine = [value for at, value, _ in self._notes_by_owner.get((key, n), ()) if at < own_end]
        return mine[0] if mine else None


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

    def items(self, hidden: Hidden) -> list[re.Match[str]]:
        text = self.text
        first = _FIRST_ITEM.match(text)
        matches = ([first] if first else []) + list(_NEXT_ITEM.finditer(text))
        if hidden.spans:
            matches = [match for match in matches if not self.hidden_item(hidden, match)]
        markers = {match.group(2) for match in matches}
        if not markers.issubset(MARKERS):
            bad = next(match for match in matches if match.group(2) not in MARKERS)
            message = f"unknown marker [{bad.group(2)}] on {bad.group(3)}"
            raise self.fail(message, bad.start(1), _MARKER_HINT)
        return matches

    def hidden_item(self, hidden: Hidden, match: re.Match[str]) -> bool:
        start = match.start(1)
        if not hidden.inside(start):
            return False
        if 0 <= hidden.unclosed <= start:
            line = self.text.count("\n", 0, start) + 1
            message = f"code fence or comment never closed: it hides the item on line {line}"
            raise self.fail(message, hidden.unclosed - 1)
        return True

    def unique(self, parsed: Parsed) -> None:
        if len(parsed.positions) == len(parsed):
            return
        seen: dict[str, int] = {}
        for item_id, start in zip(parsed.ids, parsed.starts, strict=True):
            if item_id in seen:
                first = self.text.count("\n", 0, seen[item_id]) + 1
                raise self.fail(f"{item_id} appears twice (first on line {first})", start)
            seen[item_id] = start

    def notes(self, parsed: Parsed, key: str) -> list[Note]:
        """Annotations of one key after the first item, outside fences and comments."""
        starts, hidden, owner = parsed.starts, parsed.hidden, bisect.bisect_right
        if not starts:
            return []
        matches = _NOTES[key].finditer(self.text, starts[0])
        notes = [
            (match.start(), match.group(1), owner(starts, match.start()) - 1) for match in matches
        ]
        return [note for note in notes if not hidden.inside(note[0])] if hidden.spans else notes

    def annotations(self, parsed: Parsed, key: str) -> None:
        """Refuse a malformed annotation, or two of a kind, in an item's own lines."""
        notes = parsed.notes[key]
        if not all(value and value.strip() for _, value, _ in notes):
            for note in notes:
                self.malformed(parsed, key, note)
        if len({owner for _, _, owner in notes}) < len(notes):
            self.repeated(parsed, key)

    def malformed(self, parsed: Parsed, key: str, note: Note) -> None:
        at, value, owner = note
        if value is not None and value.strip():
            return
        if at >= parsed.record(owner).own_end:
            return  # not in an item's own lines: loopd never reads it
        item_id = parsed.ids[owner]
        if value is None:
            message = f'{key} annotation on {item_id} is not closed by ")*'
            raise self.fail(message, at, f'write *({key}: "...")* on one line')
        raise self.fail(f"empty {key} annotation on {item_id}", at)

    def repeated(self, parsed: Parsed, key: str) -> None:
        seen: set[int] = set()
        for at, _, owner in parsed.notes[key]:
            if at >= parsed.record(owner).own_end:
                continue
            if owner in seen:
                raise self.fail(f"{parsed.ids[owner]} has more than one {key} annotation", at)
            seen.add(owner)


def scan(text: str, path: Path | None = None) -> Parsed:
    """Parse ``text``; raise LoopdError naming ``path`` and the line if it is malformed."""
    checker = _Checker(text, path)
    hidden = Hidden(text)
    parsed = Parsed(text, checker.items(hidden), hidden)
    checker.unique(parsed)
    for key in _NOTES:
        parsed.notes[key] = checker.notes(parsed, key)
    for key in _NOTES:
        checker.annotations(parsed, key)
    return parsed
