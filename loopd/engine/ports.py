"""What the engine needs from the outside world, as narrow protocols.

Each is implemented by one seam module (agents, git, services, the test
engine) and injected, so tests substitute a real-but-local implementation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from loopd.agents import AgentRequest, AgentResult

if TYPE_CHECKING:
    from loopd.engine.context import Context


class Agents(Protocol):
    def call(self, request: AgentRequest) -> AgentResult: ...


class BranchLike(Protocol):
    @property
    def branch(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def restore(self) -> str | None: ...  # the command that brings stashed work back


class CommitLike(Protocol):
    @property
    def sha(self) -> str | None: ...  # None: every change was withheld as a likely secret


@dataclass(frozen=True)
class BranchInfo:
    branch: str
    detail: str = ""
    restore: str | None = None


@dataclass(frozen=True)
class CommitInfo:
    sha: str | None


class Git(Protocol):
    def setup_branch(self, sprint: str, keep: Iterable[Path] = ()) -> BranchLike: ...
    def ensure_gitignore(self) -> list[str]: ...
    # The untracked files there as a step begins are not the step's to commit.
    def begin_step(self, step: str, *, resumed: bool = False) -> None: ...
    def auto_commit(self, message: str) -> CommitLike | None: ...
    def head(self) -> str | None: ...


@dataclass(frozen=True)
class ServiceState:
    name: str
    state: str  # running | started | failed | skipped | not_configured
    evidence: str = ""
    greenfield: bool = False


@dataclass(frozen=True)
class ServiceSnapshot:
    services: tuple[ServiceState, ...] = ()

    @property
    def failed(self) -> tuple[ServiceState, ...]:
        return tuple(s for s in self.services if s.state == "failed")

    @property
    def all_running(self) -> bool:
        return not self.failed


class Services(Protocol):
    def start_all(self) -> ServiceSnapshot: ...
    def check(self) -> ServiceSnapshot: ...
    def stop_all(self) -> None: ...


@dataclass(frozen=True)
class IterationOutcome:
    """What one STEP 6 test iteration did."""

    outcome: str  # continue | done | stop
    test_id: str | None = None
    verdict: str | None = None
    new_tasks: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class SweepOutcome:
    checked: int = 0
    regressions: tuple[str, ...] = field(default_factory=tuple)


class TestEngine(Protocol):
    def iteration(self, ctx: Context) -> IterationOutcome: ...
    def sweep(self, ctx: Context, trigger: str) -> SweepOutcome: ...
