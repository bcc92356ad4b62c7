"""The eager half of parsing: the item lines of a text, and one warning per oddity.

Nothing here refuses a document.  What real loop-v2 repos hold is read the
way loop-v2 read it, and each oddity becomes one ``(line, message)``:

- a fence or comment never closed hides nothing (loop-v2 greps every line);
- an unknown marker (``[~]``, ``[-]``, ``[]``) is kept byte-for-byte and read
  as :attr:`Status.OTHER`: not pending, not done, not blocked;
- ``**Task 3a**``, ``**Task: title**``: a Task item under the ID
  :mod:`loopd.checklist.taskids` works out;
- an ID seen again: the same item (see :class:`Parsed`);
- repeated, empty or wrapped annotations: see :mod:`loopd.checklist.notes`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Container

from loopd.checklist import loose, notes
from loopd.checklist.model import MARKERS
from loopd.checklist.parser import FIRST_LINE, NEXT_LINE, ODD_TASK_ID, Parsed
from loopd.checklist.spans import Hidden
from loopd.checklist.taskids import odd_task

_MARKER_HINT = "loopd writes [ ] pending, [x] done, [B] blocked, [U] needs a user"


def scan(text: str, windowed: Container[str] = frozenset()) -> Parsed:
    """Parse ``text``: its items, and ``oddities`` as (line, message) in file order."""
    first = FIRST_LINE.match(text)
    matches = ([first] if first else []) + list(NEXT_LINE.finditer(text))
    items = [match for match in matches if match.start(6) < 0]
    if len(items) == len(matches):
        hidden = Hidden(text, [])
    else:
        hidden = Hidden(text, [match.start(6) for match in matches if match.start(6) >= 0])
        items = _visible(items, hidden)
    oddities: list[tuple[int, str]] = []
    if "**" in text:
        items = _loose(text, items, hidden, oddities)
    parsed = Parsed(text, items, hidden, windowed)
    parsed.oddities += oddities
    for position in hidden.unclosed:
        parsed.oddities.append((position, _unclosed(text, position)))
    _odd_tasks(parsed)
    _markers(parsed)
    _fold(parsed)
    _notes(parsed)
    if parsed.oddities:
        parsed.oddities = _numbered(text, parsed.oddities)
    return parsed


def _visible(items: list[re.Match[str]], hidden: Hidden) -> list[re.Match[str]]:
    """Item lines outside every (closed) code fence and comment."""
    starts = [match.start(1) for match in items]
    hidden_items: set[int] = set()
    for low, high in hidden.spans:
        first, last = bisect.bisect_left(starts, low), bisect.bisect_left(starts, high)
        hidden_items.update(range(first, last))
    if not hidden_items:
        return items
    return [match for n, match in enumerate(items) if n not in hidden_items]


def _loose(
    text: str, items: list[re.Match[str]], hidden: Hidden, oddities: list[tuple[int, str]]
) -> list[re.Match[str]]:
    """``items`` plus the lines that start like an item and have a clear ID; warnings for all."""
    found = []
    for start in loose.lines(text, items, hidden):
        match = loose.read(text, start)
        if match is None:
            oddities.append((start, loose.unreadable(text, start)))
        else:
            oddities.append((start, loose.recovered(match)))
            found.append(match)
    if not found:
        return items
    return sorted([*items, *found], key=lambda match: match.start(1))


def _unclosed(text: str, position: int) -> str:
    what = "HTML comment" if text.startswith("<!--", position) else "code fence"
    return f"{what} never closed: the lines after it are read as usual, as loop-v2 read them"


def _odd_tasks(parsed: Parsed) -> None:
    """Give ``**Task 3a**``, ``**Task: title**`` and the like their worked-out IDs."""
    ids = "\n".join(parsed.occurrence_ids)
    for hit in ODD_TASK_ID.finditer(ids):
        n = ids.count("\n", 0, hit.start())
        match = parsed.matches[n]
        inner = match.group(4)
        bold = match.group(3) if inner is None else f"{match.group(3)}: {inner}"
        item_id, title = odd_task(bold)
        parsed.occurrence_ids[n] = item_id
        parsed.titles[n] = title
        message = f'"**{bold}**" is not numbered like Task 3 or Task 3.1: read as task "{item_id}"'
        parsed.oddities.append((match.start(1), message))


def _markers(parsed: Parsed) -> None:
    if {match.group(2) for match in parsed.matches}.issubset(MARKERS):
        return
    parsed.odd_markers = True
    for n, match in enumerate(parsed.matches):
        if match.group(2) not in MARKERS:
            message = (
                f"unknown marker [{match.group(2)}] on {parsed.occurrence_ids[n]}: kept as it is;"
                f" the item is neither pending, done nor blocked ({_MARKER_HINT})"
            )
            parsed.oddities.append((match.start(1), message))


def _fold(parsed: Parsed) -> None:
    """One item per ID: later lines with the same ID are more occurrences of it."""
    ids = parsed.occurrence_ids
    positions = dict(zip(ids, range(len(ids)), strict=True))
    if len(positions) == len(ids):
        parsed.positions = positions
        return
    items: dict[str, int] = {}
    first: list[int] = []
    for occurrence, item_id in enumerate(ids):
        n = items.get(item_id)
        if n is None:
            items[item_id] = len(first)
            first.append(occurrence)
            continue
        parsed.later.setdefault(n, []).append(occurrence)
        message = (
            f"{item_id} appears again (first on line {parsed.line(first[n])}): one item, "
            "pending while any of its lines is [ ]; a marker change writes all of them"
        )
        parsed.oddities.append((parsed.starts[occurrence], message))
    parsed.ids, parsed.first, parsed.positions = list(items), first, items


def _notes(parsed: Parsed) -> None:
    """Find annotations and their owners; warn about malformed or repeated ones."""
    if not parsed.starts:
        return
    text, starts = parsed.text, parsed.starts
    matches = [
        match
        for low, high in parsed.hidden.visible(starts[0], len(text))
        for match in notes.ANY.finditer(text, low, high)
    ]
    suspects = {bisect.bisect_right(starts, m.start()) - 1 for m in matches if m.start(2) >= 0}
    e2e = [match.start() for match in matches if match.start(1) >= 0]
    cmd = [match.start() for match in matches if match.start(1) < 0]
    for key, positions in zip(notes.KEYS, (e2e, cmd), strict=True):
        owners = [
            owner - 1 for owner in map(bisect.bisect_right, itertools.repeat(starts), positions)
        ]
        parsed.notes[key] = positions, owners
        if len(set(owners)) < len(owners):
            suspects.update(owner for owner, after in itertools.pairwise(owners) if owner == after)
    for occurrence in sorted(suspects):
        _inspect(parsed, occurrence)


def _inspect(parsed: Parsed, occurrence: int) -> None:
    """Warnings for the annotations in one occurrence's own lines."""
    own_end = parsed.reach(occurrence)[1]
    item_id, text = parsed.occurrence_ids[occurrence], parsed.text
    for key in notes.KEYS:
        positions, owners = parsed.notes[key]
        k, seen = bisect.bisect_left(owners, occurrence), False
        while k < len(owners) and owners[k] == occurrence and positions[k] < own_end:
            at = positions[k]
            any_note = notes.ANY.match(text, at)
            if any_note is not None and any_note.start(2) >= 0:
                parsed.oddities.append((at, notes.problem(text, key, at, item_id)))
            if notes.value(text, key, at) is not None:
                if seen:
                    parsed.oddities.append((at, notes.repeated(key, item_id)))
                seen = True
            k += 1


def _numbered(text: str, oddities: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(offset, message) -> (line, message), in file order."""
    numbered, line, counted = [], 1, 0
    for offset, message in sorted(oddities, key=lambda pair: pair[0]):
        line += text.count("\n", counted, offset)
        counted = offset
        numbered.append((line, message))
    return numbered
