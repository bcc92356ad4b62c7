"""What every prompt template is rendered with.

One :class:`PromptContext` per agent call.  Its fields become the template's
top-level variables (``sprint``, ``paths``, ``task``, ``evidence`` ...);
fields that do not apply to a call are ``None`` or empty, never missing, so a
template can test ``{% if evidence %}`` under StrictUndefined.  Paths are
repo-relative strings because agents run with the repo root as cwd.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from loopd.checklist import Item
from loopd.sprint import Sprint

HowRan = Literal["cmd", "e2e", "agent"]
VrcKind = Literal["vrc1", "vrc2", "periodic", "final"]


@dataclass(frozen=True)
class Paths:
    """The sprint's documents, relative to the repo root."""

    vision: str
    prd: str
    architecture: str
    plan: str
    beta_plan: str
    value_checklist: str
    blockers: str
    state: str
    regression_log: str

    @classmethod
    def of(cls, sprint: Sprint) -> Paths:
        """The loop-v2 file names of ``sprint``."""
        rel = sprint.relative
        return cls(
            vision=rel(sprint.vision),
            prd=rel(sprint.prd),
            architecture=rel(sprint.architecture),
            plan=rel(sprint.plan),
            beta_plan=rel(sprint.beta_plan),
            value_checklist=rel(sprint.value_checklist),
            blockers=rel(sprint.blockers),
            state=rel(sprint.state_file),
            regression_log=rel(sprint.regression_log),
        )


@dataclass(frozen=True)
class TaskInfo:
    """One implementation-plan task: ``kind`` is its ID prefix (BUILD, INT, Task, SVC, FIX ...)."""

    id: str
    kind: str
    text: str
    block: str


@dataclass(frozen=True)
class TestInfo:
    """One beta-test-plan test: ``kind`` is BT, INT, VAL or UX; ``e2e``/``cmd`` its annotations."""

    __test__ = False  # not a pytest test class, despite the name

    id: str
    kind: str
    block: str
    e2e: str | None = None
    cmd: str | None = None


@dataclass(frozen=True)
class Evidence:
    """What a failed check observed (DESIGN.md "Evidence").

    ``output`` is already bounded (head and tail of the log); ``lines`` are
    the EVIDENCE lines or JUnit failure messages; ``log_path`` is the full log.
    """

    test_id: str
    attempt: int
    verdict: str
    how: HowRan
    exit_code: int | None
    timed_out: bool
    duration: float
    lines: tuple[str, ...]
    output: str
    signature: str
    log_path: str


@dataclass(frozen=True)
class Attempt:
    """An earlier fix attempt on the same test and what the re-test saw after it."""

    attempt: int
    diffstat: str
    summary: str
    observed_after: str


@dataclass(frozen=True)
class Peer:
    """Another test failing with the same signature in this round."""

    id: str
    block: str
    evidence: str


@dataclass(frozen=True)
class ServiceReport:
    """One service's health as loopd last saw it (``state``: running, not_running, ...)."""

    name: str
    state: str
    evidence: str


@dataclass(frozen=True)
class PromptContext:
    """Everything a template may use; each field is a top-level template variable."""

    sprint: str
    repo: str
    sprint_dir: str
    paths: Paths
    task: TaskInfo | None = None
    test: TestInfo | None = None
    evidence: Evidence | None = None
    attempts: tuple[Attempt, ...] = ()
    cluster: tuple[Peer, ...] = ()
    related_tasks: tuple[str, ...] = ()
    preamble: str = ""
    vrc: VrcKind | None = None
    gate: str | None = None
    services: tuple[ServiceReport, ...] = ()
    limits: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def for_sprint(cls, sprint: Sprint, **fields: Any) -> PromptContext:
        """A context for ``sprint``; ``fields`` set the call-specific parts."""
        return cls(
            sprint=sprint.name,
            repo=str(sprint.repo),
            sprint_dir=sprint.relative(sprint.dir),
            paths=Paths.of(sprint),
            **fields,
        )

    def variables(self) -> dict[str, Any]:
        """The template variables: each field by name, values left as objects."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def as_task(item: Item) -> TaskInfo:
    """The task context of a plan item."""
    return TaskInfo(id=item.id, kind=item.kind, text=item.text, block=item.block)


def as_test(item: Item) -> TestInfo:
    """The test context of a beta-test-plan item."""
    return TestInfo(id=item.id, kind=item.kind, block=item.block, e2e=item.e2e, cmd=item.cmd)


def related_tasks(plan_items: Iterable[Item], test_id: str) -> tuple[str, ...]:
    """The item lines of plan tasks about ``test_id`` (FIX-BT-7, or naming BT-7 in their block).

    loop-v2's fix agent got these as its only context; they still tell the
    fixer what the plan expects of the code under test.
    """
    mention = re.compile(rf"(?<![A-Za-z0-9]){re.escape(test_id)}(?![A-Za-z0-9])")
    return tuple(
        (item.block.splitlines() or [item.id])[0]
        for item in plan_items
        if mention.search(item.block)
    )
