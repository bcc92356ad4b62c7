"""Checklist documents: IMPLEMENTATION_PLAN.md, BETA_TEST_PLAN_v1.md, VALUE_CHECKLIST.md.

Items are markdown list lines ``- [ ] **ID**: text``; the marker is ``[ ]``
pending, ``[x]`` done, ``[B]`` blocked, ``[U]`` needs a user (any other is
kept and read as OTHER).  Parsing keeps the exact text and never refuses a
document: oddities become warnings.  Edits change only marker characters or
append lines.
"""

from loopd.checklist.document import Checklist, edit
from loopd.checklist.model import (
    NEXT_TASK_ORDER,
    TASK_KINDS,
    TEST_KINDS,
    DocKind,
    Item,
    Status,
    is_item_id,
    kind_of,
    task_kinds,
    tested_kinds,
)
from loopd.checklist.sprintdocs import sprint_checklists, sprint_warnings

__all__ = [
    "NEXT_TASK_ORDER",
    "TASK_KINDS",
    "TEST_KINDS",
    "Checklist",
    "DocKind",
    "Item",
    "Status",
    "edit",
    "is_item_id",
    "kind_of",
    "sprint_checklists",
    "sprint_warnings",
    "task_kinds",
    "tested_kinds",
]
