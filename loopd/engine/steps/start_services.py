"""STEP 1: start the services; failures are recorded and shown, never swallowed."""

from __future__ import annotations

from loopd.engine.context import Context


def run(ctx: Context) -> str:
    snapshot = ctx.services.start_all()
    ctx.services_snapshot = snapshot
    for service in snapshot.failed:
        ctx.note(f"service {service.name} failed to start", evidence=service.evidence[-2000:])
    if snapshot.failed:
        # Saved by the transition: a restart re-runs the start and counts afresh.
        ctx.stage(ctx.state.bump("total_service_failures", len(snapshot.failed)))
    ctx.write_status()
    return "ok"
