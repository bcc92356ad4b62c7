"""STEP 3: services must be running before tests mean anything.

Until the service_readiness gate passes: each broken service gets an SVC
task, the service-readiness agent analyses them, brownfield ones (code
exists) get an implement call to fix their startup, and they are started
again.  All running -> the gate passes; MAX_SERVICE_CHECK_ATTEMPTS reached ->
it passes anyway with a warning.  New SVC tasks send the loop back to
planning.  Once passed, a service that stopped invalidates the gate.
"""

from __future__ import annotations

from functools import partial

from loopd.checklist import Checklist
from loopd.engine.context import Context
from loopd.engine.ports import ServiceSnapshot, ServiceState
from loopd.prompting import ServiceReport

GATE = "service_readiness"


def _reports(snapshot: ServiceSnapshot) -> tuple[ServiceReport, ...]:
    return tuple(ServiceReport(s.name, s.state, s.evidence) for s in snapshot.services)


def run(ctx: Context) -> str:
    snapshot = ctx.services.check()
    ctx.services_snapshot = snapshot
    if ctx.state.gate_passed(GATE):
        if snapshot.all_running:
            return "ready"
        ctx.note("services stopped since they were ready: " + _names(snapshot.failed))
        ctx.update(ctx.state.without_gates(GATE))
        return "retry"
    if snapshot.all_running:
        ctx.update(ctx.state.with_gate(GATE))
        return "ready"
    return _repair(ctx, snapshot)


def _names(services: tuple[ServiceState, ...]) -> str:
    return ", ".join(s.name for s in services)


def _repair(ctx: Context, snapshot: ServiceSnapshot) -> str:
    ctx.update(ctx.state.bump("service_check_attempts"))
    created = _svc_tasks(ctx, snapshot.failed)
    ctx.ask("service-readiness", services=_reports(snapshot))
    ctx.commit("services", "service readiness: " + _names(snapshot.failed))
    if any(not s.greenfield for s in snapshot.failed):
        ctx.ask("implement", services=_reports(snapshot))
        ctx.commit("services", "fix service startup")
        ctx.services_snapshot = ctx.services.start_all()
    return _decide(ctx, ctx.services.check(), created)


def _svc_tasks(ctx: Context, failed: tuple[ServiceState, ...]) -> list[str]:
    existing = {item.id for item in ctx.plan().items}
    created = []
    for service in failed:
        task_id = f"SVC-{service.name}"
        if task_id in existing:
            continue
        last = (service.evidence.strip().splitlines() or ["no output"])[-1][:200]
        text = f"make service {service.name} start and pass its health check"
        details = [f"Evidence: {last}"]
        ctx.edit_plan(partial(Checklist.append_task, item_id=task_id, text=text, details=details))
        created.append(task_id)
    return created


def _decide(ctx: Context, snapshot: ServiceSnapshot, created: list[str]) -> str:
    ctx.services_snapshot = snapshot
    attempts = ctx.state.counter("service_check_attempts")
    if snapshot.all_running:
        ctx.update(ctx.state.with_gate(GATE))
    elif attempts >= ctx.config.limits.max_service_check_attempts:
        failing = _names(snapshot.failed)
        ctx.note(f"services still failing after {attempts} attempts ({failing}); proceeding")
        ctx.update(ctx.state.with_gate(GATE))
    if created:
        ctx.note(f"new service tasks {', '.join(created)}: planning runs again")
        ctx.update(ctx.state.without_gates("planning"))
        return "replan"
    return "ready" if ctx.state.gate_passed(GATE) else "retry"
