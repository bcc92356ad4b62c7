"""Lines that start like an item (``- [ ] **``) but are not one as written.

loop-v2 counted such a line (``grep -c "^- \\[ \\] \\*\\*BUILD-"``), so a plan
whose last task reads ``- [ ] **BUILD-002: text`` (the bold never closed) kept
loop-v2 going.  loopd must not drop it and call the sprint a success:

- when the ID is clear (``**`` then an ID, then a colon, a blank or the line's
  end) the line is that item, with a warning;
- else the line is ignored with a warning that says so.
"""

from __future__ import annotations

import re

from loopd.checklist.model import ID_PATTERN
from loopd.checklist.spans import Hidden

# Any line that starts like an item, whatever follows the bold opener.
# Group 1 starts where the item pattern's does (after a byte-order mark on line 1 only:
# one further down is a stray character, and the line is not an item to the parser either).
_STARTS_LIKE_ITEM = re.compile(
    r"(?:\A\ufeff|^)([ \t]*[-*+][ \t]+\[[^\]\r\n]{0,3}\][ \t]+\*\*)", re.MULTILINE
)
# The same groups as the item pattern of :mod:`loopd.checklist.parser` (1 indent, 2 marker,
# 3 ID, 4 title: never, 5 the rest of the line, 6 fence: never), for an ID whose bold
# does not close right after it.
LOOSE_ITEM = re.compile(
    r"([ \t]*)[-*+][ \t]+\[([^\]\r\n]{0,3})\][ \t]+\*\*"
    r"(" + ID_PATTERN + r")(?![A-Za-z0-9*])((?!))?([^\n]*)((?!))?"
)


def lines(text: str, items: list[re.Match[str]], hidden: Hidden) -> list[int]:
    """Starts of visible lines that look like items but are not among ``items``."""
    taken = {match.start(1) for match in items}
    found = []
    for match in _STARTS_LIKE_ITEM.finditer(text):
        start = match.start(1)
        if start not in taken and not hidden.inside(start):
            found.append(start)
    return found


def read(text: str, start: int) -> re.Match[str] | None:
    """The item at a line that looks like one, when its ID is clear."""
    return LOOSE_ITEM.match(text, start)


def recovered(match: re.Match[str]) -> str:
    item_id = match.group(3)
    return (
        f'"**{item_id}" is not closed by "**" right after the ID: read as item {item_id};'
        f" write it as **{item_id}**: text"
    )


def unreadable(text: str, start: int) -> str:
    end = text.find("\n", start)
    line = text[start : len(text) if end < 0 else end].strip()
    shown = line if len(line) <= 60 else line[:57] + "..."
    return (
        f'"{shown}" starts like a checklist item but has no ID loopd can read'
        " (like **BUILD-001**: text): ignored, loopd does not act on it"
    )
