"""Wire the engine to the real world: the agent runner, git, services, the test engine."""

from __future__ import annotations

import os
from collections.abc import Callable

from loopd.agents import AgentRunner
from loopd.clock import Clock
from loopd.config import Config
from loopd.engine.context import Context
from loopd.engine.ports import ServiceSnapshot, ServiceState, TestEngine
from loopd.engine.steps import completion
from loopd.errors import LoopdError
from loopd.events import EventLog
from loopd.gitseam import GitSeam
from loopd.prompting import ServiceReport as ServiceReportContext
from loopd.services import ServiceManager, ServiceReport
from loopd.sprint import Sprint
from loopd.testengine import EvidenceTestEngine

# Services with nothing to start them with are what loop-v2 called greenfield.
_NOT_RUNNING = frozenset({"failed", "not_configured", "skipped"})


class ServicesPort:
    """The services seam as the engine sees it: reports become snapshots."""

    def __init__(self, manager: ServiceManager) -> None:
        self.manager = manager

    @staticmethod
    def snapshot(report: ServiceReport) -> ServiceSnapshot:
        return ServiceSnapshot(
            tuple(
                ServiceState(
                    name=s.name,
                    state="failed" if s.state in _NOT_RUNNING else s.state,
                    evidence=s.evidence,
                    greenfield=s.state == "not_configured",
                )
                for s in report.services
            )
        )

    def start_all(self) -> ServiceSnapshot:
        return self.snapshot(self.manager.start_all())

    def check(self) -> ServiceSnapshot:
        return self.snapshot(self.manager.check())

    def stop_all(self) -> None:
        self.manager.stop_all()


def _fix_service(ctx: Context, manager: ServiceManager, name: str, evidence: str) -> None:
    """The fix-service agent, with the failed start's log tail as its evidence."""
    report = ServiceReportContext(name=name, state="failed", evidence=evidence)
    ctx.ask("fix-service", role="service", services=(report,), env=service_env(manager, name))


def service_env(manager: ServiceManager, name: str) -> dict[str, str]:
    """What loop-v2 exported for its fix-service prompt: SERVICE_NAME, LOG_FILE and PORT."""
    env = {"SERVICE_NAME": name, "LOG_FILE": str(manager.ctx.log_path(name).resolve())}
    try:
        specs = manager.detect().services
    except LoopdError:
        # It was read a moment ago to start the service; edited since, the port is unknown.
        specs = ()
    port = next((spec.port for spec in specs if spec.name == name), None)
    if port is not None:
        env["PORT"] = str(port)
    return env


def run_id(clock: Clock) -> str:
    """``YYYYMMDD-HHMMSS-<pid>``: sorts by time, unique per daemon."""
    return f"{clock.now():%Y%m%d-%H%M%S}-{os.getpid()}"


def build(
    sprint: Sprint,
    config: Config,
    clock: Clock,
    report: Callable[[str], None],
    tests_engine: TestEngine | None = None,
) -> Context:
    """A Context with every seam real, state loaded from LOOP_STATE.md."""
    events = EventLog(sprint.events_log)
    runs = sprint.runtime / "runs" / run_id(clock)
    agents = AgentRunner(config, sprint, runs, events, clock, note=report)
    manager = ServiceManager(sprint, config, clock)
    ctx = Context(
        sprint=sprint,
        config=config,
        state=completion.starting_state(sprint),  # learned commands outlive an archive
        agents=agents,
        git=GitSeam(
            sprint.repo,
            config.git,
            events,
            clock,
            sprint_dir=sprint.dir,
            baseline_file=sprint.runtime / "untracked.json",
            note=report,
        ),
        services=ServicesPort(manager),
        tests_engine=tests_engine or EvidenceTestEngine(),
        events=events,
        clock=clock,
        report=report,
        started_monotonic=clock.monotonic(),
    )
    manager.fix_service = lambda name, evidence: _fix_service(ctx, manager, name, evidence)
    manager.warn = lambda line: ctx.note(f"warning: {line}")
    if ctx.state.started is None:
        ctx.state = ctx.state.evolve(sprint=sprint.name, started=clock.now())
    return ctx
