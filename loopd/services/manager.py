"""Bring a sprint's services up, check them, take down what loopd started.

loop-v2's STEP 1 (``start_required_services || true``) without the ``|| true``:
every service ends in a :class:`ServiceStatus` with evidence, and the whole
:class:`ServiceReport` is saved for ``loopd status`` and the service-readiness
step.  A failed start is diagnosed from its log: a port held by something
loopd started is freed, missing node modules are installed, a missing npm
script is an SVC task, anything else goes to the injected fixer (the
fix-service agent) before the next try.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from loopd import dockerio, proc
from loopd.clock import Clock, SystemClock
from loopd.config import Config
from loopd.config.exported import process_environ
from loopd.errors import LoopdError
from loopd.services import ports
from loopd.services.detect import detect
from loopd.services.diagnose import Cause, Diagnosis, diagnose, tail
from loopd.services.health import Probe
from loopd.services.launch import (
    Attempt,
    Context,
    compose_down,
    launch,
    probe,
    stop_record,
)
from loopd.services.report import Action, ServiceReport, ServiceStatus, State, save_report
from loopd.services.spec import ServicePlan, ServiceSpec, start_order
from loopd.sprint import Sprint

FixService = Callable[[str, str], None]
Warn = Callable[[str], None]
POLL_INTERVAL = 0.25
# How long a service loopd cannot health-check gets to crash before it counts as started.
SETTLE = 1.0
NPM_INSTALL_TIMEOUT = 900.0
CHECK_LOG_LINES = 20


@dataclass(frozen=True)
class _Outcome:
    """How one attempt went: its evidence, and its output for diagnosis."""

    ok: bool
    evidence: str
    output: str = ""


class ServiceManager:
    """The sprint's services, as the engine and ``loopd services`` see them.

    ``fix_service(name, evidence)`` is called when a start failed for a
    reason loopd cannot fix itself and another try follows; the engine wires
    it to the fix-service agent.  ``warn(line)`` gets each detection warning
    once (the engine writes them to the run's log).  Failures are counted over
    the manager's life (one run) against ``limits.max_total_service_failures``.
    """

    def __init__(
        self,
        sprint: Sprint,
        config: Config,
        clock: Clock | None = None,
        fix_service: FixService | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        escalation: proc.Escalation | None = None,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self.sprint = sprint
        self.config = config
        self.fix_service = fix_service
        self.warn: Warn | None = None
        self._warned: set[str] = set()
        self.poll_interval = poll_interval
        self.failures = 0
        self.ctx = Context(
            sprint=sprint,
            clock=clock or SystemClock(),
            environ=process_environ(config, sprint) if environ is None else dict(environ),
            escalation=escalation or proc.Escalation(),
        )
        self._installed: set[Path] = set()

    def detect(self) -> ServicePlan:
        """The sprint's services and how they start; bad services.yaml raises LoopdError."""
        plan = detect(self.sprint, self.config)
        self.ctx.compose_file = plan.compose_file
        for warning in plan.warnings:
            if self.warn is not None and warning not in self._warned:
                self.warn(warning)
            self._warned.add(warning)
        return plan

    def start_all(self) -> ServiceReport:
        """Start every service not already healthy, in dependency order; report each."""
        plan = self.detect()
        results: dict[str, ServiceStatus] = {}
        for spec in start_order(plan):
            results[spec.name] = self._bring_up(spec, results)
        return self._finish(plan, "start", [results[s.name] for s in plan.services])

    def check(self) -> ServiceReport:
        """The health of every service now; starts nothing."""
        plan = self.detect()
        return self._finish(plan, "check", [self._look(spec) for spec in plan.services])

    def stop_all(self) -> tuple[str, ...]:
        """Stop what loopd started (processes, containers, compose projects) and nothing else.

        Returns a line per thing stopped.  Whatever could not be stopped stays
        recorded and is raised as one :class:`LoopdError` after the rest.
        """
        ledger = self.ctx.ledger
        records = ledger.records()
        stopped: list[str] = []
        errors: list[str] = []
        for record in (r for r in records if r.kind != "compose"):
            try:
                if stop_record(record, self.ctx):
                    stopped.append(f"{record.service}: stopped {_what(record.kind)}")
                ledger.remove([record])
            except dockerio.DockerError as exc:
                errors.append(f"{record.service}: {exc}")
        stopped += self._down_projects(errors)
        if errors:
            raise LoopdError("could not stop everything loopd started: " + "; ".join(errors))
        return tuple(stopped)

    def _down_projects(self, errors: list[str]) -> list[str]:
        ledger = self.ctx.ledger
        composed = [r for r in ledger.records() if r.kind == "compose"]
        done: list[str] = []
        for project, file in sorted({(r.project or "", r.compose_file or "") for r in composed}):
            try:
                result = compose_down(self.ctx, project, Path(file))
            except LoopdError as exc:
                errors.append(f"compose project {project}: {exc}")
                continue
            if not result.ok:
                errors.append(f"compose project {project}: down failed: {tail(result.output, 5)}")
                continue
            ledger.remove([r for r in composed if r.project == project])
            done.append(f"compose project {project}: down")
        return done

    def _bring_up(self, spec: ServiceSpec, results: Mapping[str, ServiceStatus]) -> ServiceStatus:
        down = [dep for dep in spec.depends_on if not results[dep].up]
        if down:
            return self._status(spec, "skipped", f"not started: it needs {', '.join(down)}")
        if spec.unchecked is not None:
            return self._start_unchecked(spec)
        seen = probe(spec, self.ctx)
        if seen.ok:
            return self._status(spec, "running", f"already healthy: {seen.detail}")
        return self._start(spec)

    def _start(self, spec: ServiceSpec) -> ServiceStatus:
        limits = self.config.limits
        evidence = ""
        for attempt in range(1, limits.max_service_check_attempts + 1):
            if self.failures >= limits.max_total_service_failures:
                return self._status(spec, "failed", self._gave_up(evidence), attempt - 1)
            outcome = self._try(spec)
            if outcome.ok:
                return self._status(spec, "started", outcome.evidence, attempt)
            self.failures += 1
            evidence = outcome.evidence
            last = attempt == limits.max_service_check_attempts
            verdict = self._remedy(spec, outcome, last)
            if verdict is not None:
                return self._status(spec, verdict[0], verdict[1], attempt)
        return self._status(spec, "failed", evidence, limits.max_service_check_attempts)

    def _gave_up(self, evidence: str) -> str:
        cap = self.config.limits.max_total_service_failures
        reason = (
            f"not started: {self.failures} service start failures in this run "
            f"(limits.max_total_service_failures = {cap})"
        )
        return f"{reason}\n{evidence}".strip()

    def _try(self, spec: ServiceSpec) -> _Outcome:
        attempt = launch(spec, self.ctx)
        try:
            seen = self._wait(spec, attempt)
            if seen.ok:
                return _Outcome(True, f"healthy: {seen.detail}")
            output = attempt.output()
            attempt.stop()
        except dockerio.DockerError as exc:
            # The engine went away mid-start: what it started stays recorded for stop_all.
            seen, output = Probe(False, str(exc)), attempt.written()
        where = self.sprint.relative(attempt.log)
        evidence = f"did not come up: {seen.detail}\n--- last lines of {where} ---\n{tail(output)}"
        return _Outcome(False, evidence, output)

    def _wait(self, spec: ServiceSpec, attempt: Attempt) -> Probe:
        clock = self.ctx.clock
        deadline = clock.monotonic() + spec.timeout
        while True:
            seen = probe(spec, self.ctx)
            if seen.ok:
                return seen
            failure = attempt.failure()
            if failure:
                return Probe(False, failure)
            if clock.monotonic() >= deadline:
                return Probe(False, f"not healthy after {spec.timeout:g}s: {seen.detail}")
            clock.sleep(self.poll_interval)

    def _remedy(self, spec: ServiceSpec, outcome: _Outcome, last: bool) -> tuple[State, str] | None:
        """What to do about a failed attempt: None to try again, else the final state."""
        found = diagnose(outcome.output)
        if found.cause is Cause.MISSING_SCRIPT:
            reason = f"npm script {found.script!r} is missing: needs an SVC task"
            return "not_configured", f"{reason}\n{outcome.evidence}"
        if found.cause is Cause.PORT_IN_USE:
            return self._free_port(spec, found, outcome)
        if found.cause is Cause.MISSING_MODULES and spec.cwd not in self._installed:
            return self._npm_install(spec, outcome)
        if self.fix_service is None:
            return "failed", outcome.evidence
        if not last:
            self.fix_service(spec.name, outcome.evidence)
        return None

    def _free_port(
        self, spec: ServiceSpec, found: Diagnosis, outcome: _Outcome
    ) -> tuple[State, str] | None:
        port = found.port or spec.port
        if port is None:
            return "failed", f"a port it needs is in use\n{outcome.evidence}"
        ledger = self.ctx.ledger
        holders = ports.holders(port)
        if not holders and ports.listening_inodes(port):
            reason = f"port {port} is in use by a process this user cannot see"
            return "failed", f"{reason}: stop it or change the port\n{outcome.evidence}"
        owners = {holder: ledger.owner(holder.pid) for holder in holders}
        theirs = [str(holder) for holder, owner in owners.items() if owner is None]
        if theirs:
            reason = f"port {port} is in use by {', '.join(theirs)}, which loopd did not start"
            return "failed", f"{reason}: stop it or change the port\n{outcome.evidence}"
        for record in {owner for owner in owners.values() if owner is not None}:
            stop_record(record, self.ctx)
            ledger.remove([record])
        return None

    def _npm_install(self, spec: ServiceSpec, outcome: _Outcome) -> tuple[State, str] | None:
        self._installed.add(spec.cwd)
        env = self.ctx.env_for(spec)
        try:
            done = proc.run(["npm", "install"], cwd=spec.cwd, env=env, timeout=NPM_INSTALL_TIMEOUT)
        except OSError as exc:
            return "failed", f"node modules are missing and npm install failed: {exc}"
        if done.ok:
            return None
        verdict = "timed out" if done.timed_out else f"exited with code {done.returncode}"
        reason = f"node modules are missing and npm install in {spec.cwd} {verdict}"
        return "failed", f"{reason}:\n{tail(done.output, 20)}\n{outcome.evidence}"

    def _start_unchecked(self, spec: ServiceSpec) -> ServiceStatus:
        """Start once what loopd cannot health-check, and leave it running: never healthy."""
        running = self._running(spec)
        if running is not None:
            return self._status(spec, "failed", f"{spec.unchecked}\n{running}")
        attempt = launch(spec, self.ctx)
        deadline = self.ctx.clock.monotonic() + min(SETTLE, spec.timeout)
        failure = attempt.failure()
        while failure is None and self.ctx.clock.monotonic() < deadline:
            self.ctx.clock.sleep(self.poll_interval)
            failure = attempt.failure()
        if failure is not None:
            output = attempt.output()
            attempt.stop()
            where = self.sprint.relative(attempt.log)
            evidence = f"did not start: {failure}\n--- last lines of {where} ---\n{tail(output)}"
            return self._status(spec, "failed", evidence, 1)
        return self._status(spec, "failed", f"started `{spec.start}`: {spec.unchecked}", 1)

    def _running(self, spec: ServiceSpec) -> str | None:
        """How the process loopd started for ``spec`` still runs, if it does."""
        for record in self.ctx.ledger.records():
            if record.service == spec.name and record.token and proc.marked(record.token):
                return f"its process started at {record.started} (pid {record.pid}) still runs"
        return None

    def _look(self, spec: ServiceSpec) -> ServiceStatus:
        if spec.unchecked is not None:
            running = self._running(spec) or "loopd has no process of it running"
            return self._status(spec, "failed", f"{spec.unchecked}\n{running}")
        seen = probe(spec, self.ctx)
        if seen.ok:
            return self._status(spec, "running", f"healthy: {seen.detail}")
        log = self.ctx.log_path(spec.name)
        evidence = f"not healthy: {seen.detail}"
        if log.is_file():
            lines = tail(log.read_text(errors="replace"), CHECK_LOG_LINES)
            evidence += f"\n--- last lines of {self.sprint.relative(log)} ---\n{lines}"
        return self._status(spec, "failed", evidence)

    def _status(
        self, spec: ServiceSpec, state: State, evidence: str, attempts: int = 0
    ) -> ServiceStatus:
        log = self.ctx.log_path(spec.name)
        return ServiceStatus(
            spec.name, state, evidence, log if log.is_file() else None, spec.kind, attempts
        )

    def _finish(
        self, plan: ServicePlan, action: Action, statuses: list[ServiceStatus]
    ) -> ServiceReport:
        missing = [
            ServiceStatus(u.name, "not_configured", u.reason, None, u.kind)
            for u in plan.unconfigured
        ]
        report = ServiceReport(
            services=tuple(statuses + missing),
            orchestration=plan.orchestration,
            source=plan.source,
            action=action,
            at=self.ctx.now(),
            warnings=plan.warnings,
        )
        save_report(self.sprint, report)
        return report


def _what(kind: str) -> str:
    return {"process": "its process group", "container": "its container"}.get(kind, kind)
