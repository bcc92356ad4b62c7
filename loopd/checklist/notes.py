"""Annotations: ``*(E2E: "name")*`` and ``*(cmd: "command")*`` in an item's own lines.

Read the way loop-v2 read its E2E annotation (lib/tests.sh run_single_test),
one line at a time, and never refused:

- the first readable annotation of a kind wins; each later one is a warning;
- ``*(E2E: "a" + "b")*`` names the first test, ``a``;
- an annotation with no closing ``")*`` on its line (wrapped over two
  lines): an E2E one is read when its first quoted name is complete on that
  line, as loop-v2's one-line ``sed`` read it, else it is absent and the test
  goes to the test-runner agent; a cmd one is absent (half a command is not
  safe to run).  Either way, one warning.
- an empty one is absent, with a warning.
"""

from __future__ import annotations

import re

KEYS = ("E2E", "cmd")
# The whole annotation on one line: its value runs to the first ")* (so it may hold quotes).
FULL = {
    "E2E": re.compile(r'\*\([eE]2[eE][ \t]*:[ \t]*"([^\n]*?)"\)\*'),
    "cmd": re.compile(r'\*\([cC][mM][dD][ \t]*:[ \t]*"([^\n]*?)"\)\*'),
}
# loop-v2's reading of an E2E annotation: the first quoted name on the line.
_FIRST_NAME = re.compile(r'\*\([eE]2[eE][ \t]*:[ \t]*"([^"\n]*)"')
# "a" + "b": several Playwright names in one annotation; loop-v2 runs the first.
_JOINED = re.compile(r'"[ \t]*\+[ \t]*"')
# The start of any annotation: group 1 is set for E2E (else it is cmd); group 2 (empty)
# is set when it is malformed: no closing ")* on its line, or only blanks before it.
ANY = re.compile(
    r"\*\((?:([eE]2[eE])|[cC][mM][dD])[ \t]*:"
    r'(?:(?=[ \t]*"[^\n]*"\)\*)(?![ \t]*"[^\S\n]*"\)\*)|())'
)


def key_at(text: str, at: int) -> str:
    """The kind of the annotation starting at ``at``."""
    return "E2E" if text[at + 2] in "eE" else "cmd"


def value(text: str, key: str, at: int) -> str | None:
    """The value of the annotation at ``at``, or None when it cannot be read."""
    full = FULL[key].match(text, at)
    if full is not None:
        found = full.group(1)
        if key == "E2E":
            found = _JOINED.split(found, 1)[0]
        return found if found.strip() else None
    if key == "E2E":
        name = _FIRST_NAME.match(text, at)
        if name is not None and name.group(1).strip():
            return name.group(1)
    return None


def problem(text: str, key: str, at: int, item_id: str) -> str:
    """The warning for a malformed annotation (one ANY marked as malformed)."""
    if FULL[key].match(text, at) is not None:
        return f"{key} annotation on {item_id} is empty: ignored{_TO_AGENT}"
    read = value(text, key, at)
    wrapped = f'{key} annotation on {item_id} is not closed by ")*" on its line'
    if read is not None:
        return f'{wrapped}: read as "{read}" (loop-v2 read one line)'
    return f"{wrapped}: ignored (loop-v2 read one line){_TO_AGENT}"


def repeated(key: str, item_id: str) -> str:
    """The warning for a second readable annotation of a kind on one item."""
    return f"{item_id} has another {key} annotation here: ignored, the first one wins"


_TO_AGENT = ", so the test goes to the test-runner agent"
