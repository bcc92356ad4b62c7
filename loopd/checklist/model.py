"""What a checklist is made of: markers, document kinds, item kinds, items."""

from __future__ import annotations

import enum
import re
from collections.abc import Container
from dataclasses import dataclass, field


class Status(enum.Enum):
    """A checklist marker; the value is the character written between the brackets."""

    PENDING = " "
    DONE = "x"
    BLOCKED = "B"
    USER = "U"
    # Any other marker (``[~]``, ``[-]``, ``[?]`` ...), kept byte-for-byte: not pending, not
    # done, not blocked.  Never written by loopd, so its value is not a marker character.
    OTHER = "other"


class DocKind(enum.Enum):
    """Which sprint document a checklist is; it decides whether an INT item is a task or a test."""

    PLAN = "plan"
    TEST_PLAN = "test_plan"
    VALUES = "values"


# Marker characters as found in files; lower-case b/u are unambiguous, so they are read too.
MARKERS: dict[str, Status] = {
    " ": Status.PENDING,
    "x": Status.DONE,
    "X": Status.DONE,
    "B": Status.BLOCKED,
    "b": Status.BLOCKED,
    "U": Status.USER,
    "u": Status.USER,
}

TASK_KINDS = frozenset({"BUILD", "INT", "Task", "SVC", "FIX", "FEAT", "ARCH", "REG"})
# Tests in a plan or value checklist.  In the beta test plan every item that is not a task is
# a test (SEC-001, EDGE-001, CP-001 ...), as loop-v2 runs any **<UPPER>-<digits>** item there.
TEST_KINDS = frozenset({"BT", "INT", "VAL", "UX"})
# loop-v2's implementation phase picks the next task in this order.
NEXT_TASK_ORDER = ("BUILD", "INT", "Task")

# What the parser reads as an ID directly; any other ``**Task...**`` is read as a Task too,
# under an ID worked out by loopd.checklist.taskids.
ID_PATTERN = r"Task \d+(?:\.\d+)*|[A-Z][A-Z0-9]*-[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*"
# Every ID loopd can act on, those worked out for odd Task lines included (Task 3a, Task set-up-db).
_ID = re.compile(r"Task [A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*|" + ID_PATTERN)


def is_item_id(text: str) -> bool:
    """True when ``text`` is a well-formed item ID (``BT-001``, ``FIX-BT-001``, ``Task 3``)."""
    return _ID.fullmatch(text) is not None


def kind_of(item_id: str) -> str:
    """The kind of an item ID: ``Task`` for ``Task N``, else the part before the first dash."""
    return "Task" if item_id.startswith("Task ") else item_id.split("-", 1)[0]


def task_kinds(doc: DocKind) -> frozenset[str]:
    """Item kinds that are tasks in ``doc`` (INT only in a plan)."""
    return TASK_KINDS if doc is DocKind.PLAN else TASK_KINDS - {"INT"}


class _AllBut:
    """Every kind but some: the tests of a beta test plan are all its non-task items."""

    def __init__(self, excluded: frozenset[str]) -> None:
        self.excluded = excluded

    def __contains__(self, kind: object) -> bool:
        return kind not in self.excluded


_BETA_TESTS = _AllBut(task_kinds(DocKind.TEST_PLAN))


def tested_kinds(doc: DocKind) -> Container[str]:
    """Item kinds that are tests in ``doc``.

    In the beta test plan: every kind that is not a task (BT, INT, SEC, EDGE, CP ...), so
    status, the test engine and completion count one set.  Elsewhere: BT, VAL, UX, and INT
    outside a plan.
    """
    if doc is DocKind.TEST_PLAN:
        return _BETA_TESTS
    return TEST_KINDS - {"INT"} if doc is DocKind.PLAN else TEST_KINDS


@dataclass(frozen=True)
class Item:
    """One checklist item as it stands in its document.

    ``block`` is the item line plus its continuation lines (nested items
    included), exactly as in the file, ending with the last non-blank line's
    line break; for a beta-plan test whose block is only its own line, it is
    loop-v2's window instead (the line and up to 25 more, see spans.py).
    An ID on several lines is one item: these describe its first line, and
    ``status`` is pending while any of its lines is.  ``span`` is the block's
    character range in the document text, ``own_span`` the part before the
    first nested item, ``marker_at`` the offset of the marker character.
    """

    id: str
    kind: str
    status: Status
    text: str
    line: int
    block: str
    e2e: str | None = None
    cmd: str | None = None
    span: tuple[int, int] = field(default=(0, 0), compare=False, repr=False)
    own_span: tuple[int, int] = field(default=(0, 0), compare=False, repr=False)
    marker_at: int = field(default=-1, compare=False, repr=False)
