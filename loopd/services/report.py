"""What starting or checking the services found, never swallowed (loop-v2 defect 2).

The last report is kept in ``.loopd/<sprint>/services/report.json`` so
``loopd status`` and the next prompt can show it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from loopd import fsio
from loopd.errors import LoopdError
from loopd.prompting.context import ServiceReport as PromptService
from loopd.services.spec import Orchestration
from loopd.sprint import Sprint

State = Literal["running", "started", "failed", "skipped", "not_configured"]
Action = Literal["start", "check"]
UP_STATES: frozenset[str] = frozenset({"running", "started"})
REPORT_FILE = "report.json"


@dataclass(frozen=True)
class ServiceStatus:
    """One service's outcome.

    ``state``: ``running`` (was already healthy, left alone), ``started``
    (loopd started it and it became healthy), ``failed``, ``skipped`` (not
    tried: a dependency is down or the failure budget is spent),
    ``not_configured`` (nothing to start it with: it needs an SVC task).
    ``evidence`` says what was seen: the health answer, or why it failed
    with the log tail.
    """

    name: str
    state: State
    evidence: str
    log: Path | None
    kind: str
    attempts: int = 0

    @property
    def up(self) -> bool:
        return self.state in UP_STATES


@dataclass(frozen=True)
class ServiceReport:
    """Every service's status after ``start_all()`` or ``check()``."""

    services: tuple[ServiceStatus, ...]
    orchestration: Orchestration
    source: Path | None
    action: Action
    at: str
    # What detection found odd in the user's files (``file:line: message``).
    warnings: tuple[str, ...] = ()

    @property
    def all_running(self) -> bool:
        """Whether every service is up (True when there is nothing to run)."""
        return all(s.up for s in self.services)

    @property
    def failed(self) -> tuple[ServiceStatus, ...]:
        """The services that are not up, whatever the reason."""
        return tuple(s for s in self.services if not s.up)

    def get(self, name: str) -> ServiceStatus | None:
        return next((s for s in self.services if s.name == name), None)

    def for_prompt(self) -> tuple[PromptService, ...]:
        """The services as prompt templates show them (name, state, evidence)."""
        return tuple(PromptService(s.name, s.state, s.evidence) for s in self.services)

    def to_json(self) -> dict[str, Any]:
        return {
            "orchestration": self.orchestration,
            "source": str(self.source) if self.source else None,
            "action": self.action,
            "at": self.at,
            "all_running": self.all_running,
            "services": [_status_json(s) for s in self.services],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceReport:
        return cls(
            services=tuple(_status_from(s) for s in data["services"]),
            orchestration=data["orchestration"],
            source=Path(data["source"]) if data.get("source") else None,
            action=data["action"],
            at=data["at"],
            warnings=tuple(str(w) for w in data.get("warnings", ())),
        )


def _status_json(status: ServiceStatus) -> dict[str, Any]:
    return {
        "name": status.name,
        "state": status.state,
        "kind": status.kind,
        "evidence": status.evidence,
        "log": str(status.log) if status.log else None,
        "attempts": status.attempts,
    }


def _status_from(data: dict[str, Any]) -> ServiceStatus:
    if data["state"] not in get_args(State):
        raise ValueError(f"unknown state {data['state']!r}")
    return ServiceStatus(
        name=data["name"],
        state=cast(State, data["state"]),
        evidence=data["evidence"],
        log=Path(data["log"]) if data.get("log") else None,
        kind=data["kind"],
        attempts=int(data.get("attempts", 0)),
    )


def report_path(sprint: Sprint) -> Path:
    return sprint.runtime / "services" / REPORT_FILE


def save_report(sprint: Sprint, report: ServiceReport) -> None:
    """Keep ``report`` as the sprint's last service report."""
    fsio.atomic_write(report_path(sprint), json.dumps(report.to_json(), indent=2) + "\n")


def load_report(sprint: Sprint) -> ServiceReport | None:
    """The sprint's last service report, or None if services were never started or checked."""
    path = report_path(sprint)
    if not path.is_file():
        return None
    try:
        return ServiceReport.from_json(json.loads(fsio.read_text(path)))
    except (ValueError, KeyError, TypeError) as exc:
        raise LoopdError(
            f"unreadable service report: {exc}",
            path=path,
            hint="delete it; the next `loopd services` writes a new one",
        ) from None
