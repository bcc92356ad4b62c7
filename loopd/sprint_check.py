"""Every file `loopd run` reads in a sprint, read as run reads it (doctor and preflight).

This is the migration check for a loop-v2 repo.  Each file goes through the very
function the loop uses (the checklist parser, the state reader, service detection),
so "doctor ok" means ``run`` does not refuse it; a file ``run`` would refuse fails
here with the same one-line error.  Oddities ``run`` tolerates come back as warnings
(``path:line: message``), and the last check says what ``run`` would do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loopd import sprint as sprints
from loopd.checklist import Checklist, DocKind, Status
from loopd.config import Config
from loopd.engine.spec import load_spec, resume_step
from loopd.errors import LoopdError
from loopd.prompting import template_warnings
from loopd.services import detect
from loopd.state import LoopState, load_state
from loopd.values import load_value_table


@dataclass(frozen=True)
class Check:
    """One line of doctor's table; ``required`` failures make doctor exit 1."""

    name: str
    required: bool
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class SprintReport:
    """What doctor found in a sprint: its checks and the warnings of its files."""

    checks: list[Check]
    warnings: list[str]


def _failed(name: str, exc: LoopdError) -> Check:
    return Check(name, True, False, exc.located, exc.hint or "fix the line named")


def _documents(found: sprints.Sprint, report: SprintReport) -> bool:
    """The sprint's check: VISION.md and PRD.md written (run refuses to start otherwise)."""
    name = f"sprint {found.name}"
    try:
        report.warnings += sprints.validate(found)
    except LoopdError as exc:
        report.checks.append(_failed(name, exc))
        return False
    report.checks.append(Check(name, True, True, found.relative(found.dir)))
    return True


def _counted(checklist: Checklist) -> str:
    counts: dict[Status, int] = {}
    for item in checklist.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    shown = ", ".join(f"{n} {status.name.lower()}" for status, n in counts.items())
    return f"{len(checklist.items)} item(s): {shown}" if shown else "no items"


def _checklist(path: Path, kind: DocKind, found: sprints.Sprint, report: SprintReport) -> None:
    name = found.relative(path)
    if not path.exists():
        report.checks.append(Check(name, False, True, "not written yet (the loop writes it)"))
        return
    try:
        checklist = Checklist.load(path, kind)
    except LoopdError as exc:
        report.checks.append(_failed(name, exc))
        return
    report.warnings += checklist.warnings_relative_to(found.repo)
    report.checks.append(Check(name, True, True, _counted(checklist)))


def _values(found: sprints.Sprint, report: SprintReport) -> None:
    """loop-v2's table (what verify-blockers and the final VRC read), else loopd's VAL items."""
    path = found.value_checklist
    table = load_value_table(path, found.relative(path))
    if not table.rows:
        _checklist(path, DocKind.VALUES, found, report)
        return
    report.warnings += table.warnings
    counts = table.counts()
    detail = (
        f"table of {counts.rows} row(s): {counts.verified} verified, {counts.blocked} blocked,"
        f" {counts.open} open" + ("; BLOCKED: verify-blockers runs" if table.has_blockers else "")
    )
    report.checks.append(Check(found.relative(path), True, True, detail))


def _state(found: sprints.Sprint, report: SprintReport) -> LoopState | None:
    name = found.relative(found.state_file)
    try:
        state = load_state(found.state_file)
        resume_step(load_spec(), state.step, found.state_file)  # before anything is written
    except LoopdError as exc:
        report.checks.append(_failed(name, exc))
        return None
    if not found.state_file.exists():
        detail = "none: the loop starts the sprint from the top"
    else:
        gates = ",".join(sorted(state.gates)) or "none"
        where = state.step or f"phase {state.phase or '0'}"
        detail = f"resumes at {where}, test iteration {state.iteration}, gates passed: {gates}"
    report.checks.append(Check(name, True, True, detail))
    return state


def _services(found: sprints.Sprint, config: Config, report: SprintReport) -> None:
    try:
        plan = detect(found, config)
    except LoopdError as exc:
        report.checks.append(_failed("services", exc))
        return
    report.warnings += plan.warnings
    names = ", ".join(spec.name for spec in plan.services) or "nothing to start"
    source = f" ({found.relative(plan.source)})" if plan.source else ""
    report.checks.append(Check("services", True, True, f"{plan.orchestration}{source}: {names}"))


def _next_step(found: sprints.Sprint, state: LoopState | None) -> Check:
    """What ``run`` would work on first, read from the plans as the loop picks it."""
    parts = []
    if state is not None and state.stop_reason:
        parts.append(f"it stopped last time: {state.stop_reason}")
    plan = _load_quietly(found.plan, DocKind.PLAN)
    task = plan.next_task() if plan else None
    parts.append(f"next task {task.id}" if task else "no task to implement")
    tests = _load_quietly(found.beta_plan, DocKind.TEST_PLAN)
    if tests is None:
        parts.append("no beta test plan yet")
    else:
        pending = [item.id for item in tests.tests() if item.status is Status.PENDING]
        first = tests.next_test()
        parts.append(f"{len(pending)} test(s) pending" + (f", next {first.id}" if first else ""))
    return Check("run would", False, True, "; ".join(parts))


def _load_quietly(path: Path, kind: DocKind) -> Checklist | None:
    if not path.exists():
        return None
    try:
        return Checklist.load(path, kind)
    except LoopdError:
        return None  # already reported by its own check


def sprint_report(found: sprints.Sprint, config: Config | None) -> SprintReport:
    """Every sprint file ``run`` reads, parsed as ``run`` parses it."""
    report = SprintReport([], [])
    if not _documents(found, report):
        return report
    _checklist(found.plan, DocKind.PLAN, found, report)
    _checklist(found.beta_plan, DocKind.TEST_PLAN, found, report)
    _values(found, report)
    state = _state(found, report)
    if config is not None:
        _services(found, config, report)
    report.warnings += template_warnings(found, found.repo)
    report.checks.append(_next_step(found, state))
    return report
