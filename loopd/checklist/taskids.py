"""IDs for Task items that are not ``Task N`` / ``Task N.N``.

loop-v2 implements any pending ``- [ ] **Task...`` line (anything after
``Task``), so plans hold ``**Task 3a**``, ``**Task 3.1b:**``,
``**Task 3 - Set up the db**`` or ``**Task: Set up the db**``.  loopd gives
each a stable ID worked out from the text in bold alone, so it does not move
when lines are added above it or the item's marker changes:

- a number-like token first (``3a``, ``3.1b``): ``Task 3a``, ``Task 3.1b``;
  what follows it is the item's title;
- otherwise the title in lower case, runs of other characters as one ``-``,
  at most 48 characters: ``Task set-up-the-db``; a title with no ASCII
  letter or digit gets ``Task h`` and 8 hex digits of its SHA-1;
- nothing at all after ``Task``: ``Task untitled``.

Two odd Task lines with the same title get the same ID: the later one is a
duplicate (see the parser), never a second item under a made-up number.
"""

from __future__ import annotations

import hashlib
import re

_NUMBER = re.compile(r"Task[ \t]*([0-9][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*)")
_SEPARATORS = " \t:.-\u2013\u2014"
_SLUG_GAP = re.compile(r"[^a-z0-9]+")
_SLUG_LENGTH = 48


def odd_task(bold: str) -> tuple[str, str]:
    """The ID and title of a ``**Task...**`` whose bold text ``bold`` is not ``Task N.N``."""
    number = _NUMBER.match(bold)
    if number is not None:
        return f"Task {number.group(1)}", bold[number.end() :].strip(_SEPARATORS)
    title = bold[len("Task") :].strip(_SEPARATORS)
    return f"Task {slug(title)}", title


def slug(title: str) -> str:
    """``Set up the DB!`` -> ``set-up-the-db``; see the module docstring."""
    words = _SLUG_GAP.sub("-", title.lower()).strip("-")
    if len(words) > _SLUG_LENGTH:
        words = words[:_SLUG_LENGTH].rstrip("-")
    if words:
        return words
    if title.strip():
        return "h" + hashlib.sha1(title.strip().encode()).hexdigest()[:8]
    return "untitled"
