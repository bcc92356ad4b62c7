"""The checklists of a sprint, read together: for the warnings doctor, status and the loop show."""

from __future__ import annotations

from loopd.checklist.document import Checklist
from loopd.checklist.model import DocKind
from loopd.sprint import Sprint


def sprint_checklists(sprint: Sprint) -> list[Checklist]:
    """The plan, the beta test plan and the value checklist (a missing one is empty)."""
    return [
        Checklist.load(sprint.plan, DocKind.PLAN),
        Checklist.load(sprint.beta_plan, DocKind.TEST_PLAN),
        Checklist.load(sprint.value_checklist, DocKind.VALUES),
    ]


def sprint_warnings(sprint: Sprint) -> list[str]:
    """Every checklist warning of the sprint, ``<path relative to the repo>:<line>: <message>``.

    Cheap when nothing changed since this process last read the files
    (Checklist.load reuses an unchanged document).
    """
    return [
        warning
        for checklist in sprint_checklists(sprint)
        for warning in checklist.warnings_relative_to(sprint.repo)
    ]
