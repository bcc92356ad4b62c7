"""Checklist documents: IMPLEMENTATION_PLAN.md, BETA_TEST_PLAN_v1.md, VALUE_CHECKLIST.md.

Items are markdown list lines ``- [ ] **ID**: text``; the marker is ``[ ]``
pending, ``[x]`` done, ``[B]`` blocked, ``[U]`` needs a user.  Parsing keeps
the exact text, and edits change only a marker character or append lines.
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
    "task_kinds",
    "tested_kinds",
]
