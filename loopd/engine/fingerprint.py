"""Hashes the loop compares: document contents, and the progress fingerprint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from loopd.checklist import Checklist, Status


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


def progress(plan: Checklist, tests: Checklist) -> Progress:
    tasks = plan.tasks()
    tested = tests.tests()
    return Progress(
        tasks_done=sum(1 for t in tasks if t.status is Status.DONE),
        tasks_pending=sum(1 for t in tasks if t.status is Status.PENDING),
        tests_passed=sum(1 for t in tested if t.status is Status.DONE),
        tests_blocked=sum(1 for t in tested if t.status is Status.BLOCKED),
        tests_pending=sum(1 for t in tested if t.status is Status.PENDING),
    )
