"""STEP 3: services must be running before tests mean anything.

Until the service_readiness gate passes: each broken service gets an SVC
task, the service-readiness agent analyses them, brownfield ones (code
exists) get an implement call to fix their startup, and they are started
again.  All running -> the gate passes (and the attempts start over);
MAX_SERVICE_CHECK_ATTEMPTS reached -> it passes anyway with a warning.  New
SVC tasks send the loop back to planning.  Once passed, a service that
stopped invalidates the gate.  The repair's start (the attempt counted, the
tasks that existed) is checkpointed, so a restart mid-repair counts it once
and still re-plans for the tasks it created.
"""

from __future__ import annotations

from functools import partial

from loopd.checklist import Checklist, Status
from loopd.engine.context import Context
from loopd.engine.ports import ServiceSnapshot, ServiceState
from loopd.engine.steps.value_discovery import invalidate_planning
from loopd.prompting import ServiceReport
from loopd.state import LoopState

GATE = "service_readiness"
ATTEMPTS = "service_check_attempts"
ACCEPTED = "services.accepted_failing"


def _reports(snapshot: ServiceSnapshot) -> tuple[ServiceReport, ...]:
    return tuple(ServiceReport(s.name, s.state, s.evidence) for s in snapshot.services)


def run(ctx: Context) -> str:
    snapshot = ctx.services.check()
    ctx.services_snapshot = snapshot
    if ctx.state.gate_passed(GATE):
        stopped = _stopped(ctx, snapshot)
        if not stopped:
            return "ready"
        ctx.note("services stopped since they were ready: " + _names(stopped))
        ctx.update(ctx.state.without_gates(GATE))
        return "retry"
    if snapshot.all_running:
        ctx.update(_passed(ctx, snapshot))
        return "ready"
    return _repair(ctx, snapshot)


def _passed(ctx: Context, snapshot: ServiceSnapshot) -> LoopState:
    failing = ",".join(s.name for s in snapshot.failed)
    state = ctx.state.with_gate(GATE).with_counter(ATTEMPTS, 0)
    return state.with_fingerprint(ACCEPTED, failing)


def _stopped(ctx: Context, snapshot: ServiceSnapshot) -> tuple[ServiceState, ...]:
    """Failing services, less those the gate was passed with (they never ran)."""
    accepted = set(ctx.state.fingerprints.get(ACCEPTED, "").split(","))
    return tuple(s for s in snapshot.failed if s.name not in accepted)


def _names(services: tuple[ServiceState, ...]) -> str:
    return ", ".join(s.name for s in services)


def _repair(ctx: Context, snapshot: ServiceSnapshot) -> str:
    existing = ctx.remember(
        "tasks", lambda: [item.id for item in ctx.plan().items], then=lambda s: s.bump(ATTEMPTS)
    )
    created = _svc_tasks(ctx, snapshot.failed, frozenset(existing))
    ctx.ask("service-readiness", services=_reports(snapshot))
    ctx.commit("services", "service readiness: " + _names(snapshot.failed))
    if any(not s.greenfield for s in snapshot.failed):
        ctx.ask("implement", services=_reports(snapshot))
        ctx.commit("services", "fix service startup")
        ctx.services_snapshot = ctx.services.start_all()
    return _decide(ctx, ctx.services.check(), created)


def _svc_tasks(
    ctx: Context, failed: tuple[ServiceState, ...], existing: frozenset[str]
) -> list[str]:
    """SVC tasks for ``failed`` services that had none when the repair began."""
    created = []
    for service in failed:
        task_id = f"SVC-{service.name}"
        if task_id in existing:
            continue
        created.append(task_id)
        if ctx.plan().get(task_id) is not None:  # appended before a restart
            continue
        last = (service.evidence.strip().splitlines() or ["no output"])[-1][:200]
        text = f"make service {service.name} start and pass its health check"
        details = [f"Evidence: {last}"]
        ctx.edit_plan(partial(Checklist.append_task, item_id=task_id, text=text, details=details))
    return created


def _close_tasks(ctx: Context, snapshot: ServiceSnapshot) -> None:
    """SVC tasks of services that run now are done."""
    running = {f"SVC-{s.name}" for s in snapshot.services if s.state != "failed"}
    done = [t.id for t in ctx.plan().pending(("SVC",)) if t.id in running]
    for task_id in done:
        ctx.edit_plan(partial(Checklist.set_status, item_id=task_id, status=Status.DONE))
    if done:
        ctx.note(f"{', '.join(done)} done: the service runs")


def _decide(ctx: Context, snapshot: ServiceSnapshot, created: list[str]) -> str:
    ctx.services_snapshot = snapshot
    _close_tasks(ctx, snapshot)
    attempts = ctx.state.counter(ATTEMPTS)
    if snapshot.all_running:
        ctx.update(_passed(ctx, snapshot))
    elif attempts >= ctx.config.limits.max_service_check_attempts:
        failing = _names(snapshot.failed)
        ctx.note(f"services still failing after {attempts} attempts ({failing}); proceeding")
        ctx.update(_passed(ctx, snapshot))
    if created:
        ctx.note(f"new service tasks {', '.join(created)}: planning runs again")
        invalidate_planning(ctx)
        return "replan"
    return "ready" if ctx.state.gate_passed(GATE) else "retry"
