"""``loopd status``: where a sprint is, read from its files (daemon or not)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from loopd import sprint as sprints
from loopd.checklist import Checklist, DocKind, Item, Status
from loopd.config import load_config
from loopd.events import totals_by_role
from loopd.state import KNOWN_GATES, LoopState, load_state

STATUS_WORDS = {
    Status.DONE: "done",
    Status.PENDING: "pending",
    Status.BLOCKED: "blocked",
    Status.USER: "user",
}
TEST_WORDS = {**STATUS_WORDS, Status.DONE: "passed"}


@dataclass(frozen=True)
class Tally:
    """Items of one document by status, and by kind."""

    by_status: dict[str, int]
    by_kind: dict[str, dict[str, int]]
    total: int


@dataclass(frozen=True)
class SprintStatus:
    sprint: str
    dir: str
    phase: str
    iteration: int
    loop_iteration: int
    gates: list[str]
    updated: str | None
    stop_reason: str | None
    tasks: Tally
    tests: Tally
    next_task: str | None
    next_test: str | None
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)


def _tally(checklist: Checklist, words: dict[Status, str]) -> Tally:
    by_status = dict.fromkeys(words.values(), 0)
    by_kind: dict[str, dict[str, int]] = {}
    for kind, counts in checklist.counts().items():
        by_kind[kind] = {words[s]: n for s, n in counts.items() if n}
        for status, n in counts.items():
            by_status[words[status]] += n
    return Tally(by_status, by_kind, sum(by_status.values()))


def _describe(item: Item | None) -> str | None:
    return f"{item.id}: {item.text}" if item else None


def _ordered_gates(state: LoopState) -> list[str]:
    known = [g for g in KNOWN_GATES if state.gate_passed(g)]
    return known + sorted(set(state.gates) - set(KNOWN_GATES))


def collect(found: sprints.Sprint) -> SprintStatus:
    """Everything status shows, read from the sprint's files.

    The config is loaded too, so a malformed one is reported here and not
    first by a daemon hours later.
    """
    load_config(found.repo, found)
    state = load_state(found.state_file)
    plan = Checklist.load(found.plan, DocKind.PLAN)
    tests = Checklist.load(found.beta_plan, DocKind.TEST_PLAN)
    return SprintStatus(
        sprint=found.name,
        dir=found.relative(found.dir),
        phase=state.phase,
        iteration=state.iteration,
        loop_iteration=state.loop_iteration,
        gates=_ordered_gates(state),
        updated=state.updated.isoformat() if state.updated else None,
        stop_reason=state.stop_reason,
        tasks=_tally(plan, STATUS_WORDS),
        tests=_tally(tests, TEST_WORDS),
        next_task=_describe(plan.next_task()),
        next_test=_describe(tests.next_test()),
        agents={role: asdict(t) for role, t in _agent_totals(found).items()},
    )


def _agent_totals(found: sprints.Sprint) -> dict[str, Any]:
    events = found.runtime / "events.jsonl"
    return dict(totals_by_role(events)) if events.exists() else {}


def _counts_line(tally: Tally) -> str:
    if tally.total == 0:
        return "none yet"
    parts = [f"{n} {word}" for word, n in tally.by_status.items() if n]
    return " · ".join(parts) + f"  (of {tally.total})"


def _print(status: SprintStatus) -> None:
    rows = [
        ("sprint", f"{status.sprint}  ({status.dir})"),
        (
            "phase",
            f"{status.phase or 'not started'}   iteration {status.iteration}"
            f"  (outer loop {status.loop_iteration})",
        ),
        ("gates", f"{' '.join(status.gates) or 'none'}  ({len(status.gates)}/{len(KNOWN_GATES)})"),
        ("tasks", _counts_line(status.tasks)),
        ("tests", _counts_line(status.tests)),
        ("next task", status.next_task or "-"),
        ("next test", status.next_test or "-"),
    ]
    if status.stop_reason:
        rows.append(("stopped", status.stop_reason))
    for role, totals in status.agents.items():
        rows.append((f"agent {role}", _agent_line(totals)))
    rows.append(("updated", status.updated or "-"))
    for label, value in rows:
        click.echo(f"{label:<10} {value}")


def _agent_line(totals: dict[str, Any]) -> str:
    cost = totals.get("cost_usd") or 0.0
    return f"{totals.get('calls', 0)} calls, {totals.get('duration', 0.0):.0f}s, ${cost:.2f}"


def _list(repo: Path, sprints_root: str, as_json: bool) -> int:
    names = sprints.list_sprints(repo, sprints_root)
    found = [collect(sprints.locate(repo, sprints_root, name)) for name in names]
    if as_json:
        click.echo(json.dumps({"sprints": [asdict(s) for s in found]}, indent=2))
        return 0
    if not found:
        click.echo(f"no sprints under {sprints_root}/ (create one: loopd init <sprint>)")
    for s in found:
        done, total = s.tasks.by_status["done"], s.tasks.total
        passed, tests = s.tests.by_status["passed"], s.tests.total
        click.echo(
            f"{s.sprint:<24} {s.phase or 'not started':<14} tasks {done}/{total}"
            f"  tests {passed}/{tests}"
        )
    return 0


def status(*, repo: Path, sprints_root: str, sprint: str | None, as_json: bool) -> int:
    """Print one sprint's status, or list the sprints when none is named."""
    if sprint is None:
        return _list(repo, sprints_root, as_json)
    result = collect(sprints.locate(repo, sprints_root, sprint))
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2))
    else:
        _print(result)
    return 0
