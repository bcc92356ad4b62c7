"""The checklists of a sprint, read together: for the warnings doctor, status and the loop show."""

from __future__ import annotations

from pathlib import Path

from loopd import fsio
from loopd.checklist.document import Checklist
from loopd.checklist.model import DocKind
from loopd.sprint import Sprint


def sprint_checklists(sprint: Sprint) -> list[Checklist]:
    """The plan, the beta test plan and the value checklist (a missing one is empty).

    Parsed afresh, not through Checklist.load's cache (which belongs to the
    loop's thread), so any thread or process may call this.  LoopdError when
    a file cannot be read at all (not UTF-8, unreadable).
    """
    documents = (
        (sprint.plan, DocKind.PLAN),
        (sprint.beta_plan, DocKind.TEST_PLAN),
        (sprint.value_checklist, DocKind.VALUES),
    )
    return [Checklist.parse(_text(path), kind, path) for path, kind in documents]


def _text(path: Path) -> str:
    return fsio.read_text(path) if path.exists() else ""


def sprint_warnings(sprint: Sprint) -> list[str]:
    """Every checklist warning of the sprint, ``<path relative to the repo>:<line>: <message>``."""
    return [
        warning
        for checklist in sprint_checklists(sprint)
        for warning in checklist.warnings_relative_to(sprint.repo)
    ]
