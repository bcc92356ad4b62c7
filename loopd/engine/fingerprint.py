"""Hashes the loop compares: document contents, and the progress fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

from loopd.checklist import Checklist, Status, task_kinds, tested_kinds


def files(*paths: Path) -> str:
    """One digest over the files' bytes (a missing file counts as empty, distinctly)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes() if path.is_file() else b"\0missing\0")
        digest.update(b"\0--\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Progress:
    """What counts as progress: loop-v2's passed-blocked-done plus pending work."""

    tasks_done: int
    tasks_pending: int
    tests_passed: int
    tests_blocked: int
    tests_pending: int

    def key(self) -> str:
        return (
            f"{self.tasks_done}-{self.tasks_pending}-{self.tests_passed}"
            f"-{self.tests_blocked}-{self.tests_pending}"
        )


def statuses(checklist: Checklist, kinds: Container[str]) -> dict[Status, int]:
    """How many items of these kinds have each status (counted, no items built)."""
    total = dict.fromkeys(Status, 0)
    for kind, counts in checklist.counts().items():
        if kind in kinds:
            for status, n in counts.items():
                total[status] += n
    return total


def tasks(plan: Checklist) -> dict[Status, int]:
    """The plan's tasks by status."""
    return statuses(plan, task_kinds(plan.kind))


def tests(test_plan: Checklist) -> dict[Status, int]:
    """The test plan's tests by status."""
    return statuses(test_plan, tested_kinds(test_plan.kind))


def progress(plan: Checklist, test_plan: Checklist) -> Progress:
    done, tested = tasks(plan), tests(test_plan)
    return Progress(
        tasks_done=done[Status.DONE],
        tasks_pending=done[Status.PENDING],
        tests_passed=tested[Status.DONE],
        tests_blocked=tested[Status.BLOCKED],
        tests_pending=tested[Status.PENDING],
    )
