"""Starting one service once, looking at it, and stopping what loopd started.

An :class:`Attempt` is one try at starting a service: a process group
(:func:`loopd.proc.spawn`, output to ``.loopd/<sprint>/services/<name>.log``),
a container run through the Docker SDK, or ``compose up -d`` of one compose
service.  Every start is written to the :class:`Ledger` before loopd waits on
it, so a crash in between still leaves a record of what to stop.
"""

from __future__ import annotations

import re
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from loopd import dockerio, proc
from loopd.clock import Clock
from loopd.services import health
from loopd.services.health import Probe
from loopd.services.ledger import Ledger, Record, stop_process
from loopd.services.spec import ServiceSpec
from loopd.sprint import Sprint

SPRINT_LABEL = "loopd.sprint"
SERVICE_LABEL = "loopd.service"
LOG_TAIL_LINES = 200


@dataclass
class Context:
    """What every start, probe and stop of one sprint's services shares."""

    sprint: Sprint
    clock: Clock
    environ: Mapping[str, str]
    escalation: proc.Escalation
    compose_file: Path | None = None
    # Children started by this process: stopping them through their real
    # Popen also reaps them.  Records from other runs are adopted instead.
    children: dict[str, proc.Spawned] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return self.sprint.runtime / "services"

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.directory)

    @property
    def project(self) -> str:
        """The compose project (and container name prefix) loopd uses for this sprint."""
        return "loopd-" + re.sub(r"[^a-z0-9_-]", "", self.sprint.name.lower())

    @property
    def grace(self) -> float:
        """Seconds a container gets between SIGTERM and SIGKILL: the ladder's total."""
        return sum(grace for _, grace in self.escalation.steps)

    def log_path(self, name: str) -> Path:
        return self.directory / f"{name}.log"

    def env_for(self, spec: ServiceSpec) -> dict[str, str]:
        return {**self.environ, **spec.env}

    def now(self) -> str:
        return self.clock.now().isoformat()

    def remember(self, record: Record) -> Record:
        self.ledger.add(record)
        return record


class Attempt(ABC):
    """One try at starting a service."""

    def __init__(self, spec: ServiceSpec, ctx: Context, what: str) -> None:
        self.spec = spec
        self.ctx = ctx
        self.log = ctx.log_path(spec.name)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"--- loopd {ctx.clock.now().isoformat()}: {what}\n")
            self.offset = out.tell()

    def written(self) -> str:
        """What this attempt has written to the service log so far."""
        with self.log.open("rb") as handle:
            handle.seek(self.offset)
            return handle.read().decode("utf-8", errors="replace")

    def note(self, text: str) -> None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")

    def output(self) -> str:
        """Everything this attempt printed, for diagnosis and evidence."""
        return self.written()

    @abstractmethod
    def failure(self) -> str | None:
        """Why the start has already failed for good (it exited, say), or None."""

    @abstractmethod
    def stop(self) -> None:
        """Stop what this attempt started and drop it from the ledger."""


class NotStarted(Attempt):
    """A start that failed before anything ran (no such cwd, engine down, ...)."""

    def __init__(self, spec: ServiceSpec, ctx: Context, what: str, reason: str) -> None:
        super().__init__(spec, ctx, what)
        self.reason = reason
        self.note(reason)

    def failure(self) -> str | None:
        return self.reason

    def stop(self) -> None:
        """Nothing was started."""


class ProcessAttempt(Attempt):
    """A start command in its own process group, output appended to the service log."""

    def __init__(self, spec: ServiceSpec, ctx: Context) -> None:
        super().__init__(spec, ctx, f"start: {spec.start}")
        argv = ["bash", "-c", spec.start or ""]
        with self.log.open("ab") as out:
            self.child = proc.spawn(
                argv, cwd=spec.cwd, env=ctx.env_for(spec), stdout=out, stderr=subprocess.STDOUT
            )
        ctx.children[self.child.token] = self.child
        self.entry = ctx.remember(
            Record(spec.name, "process", ctx.now(), self.child.pid, self.child.token, tuple(argv))
        )

    def failure(self) -> str | None:
        # Exit 0 may be a start script that daemonised: health decides then.
        code = self.child.popen.poll()
        return f"exited with code {code}" if code else None

    def stop(self) -> None:
        proc.stop(self.child, self.ctx.escalation)
        self.ctx.children.pop(self.child.token, None)
        self.ctx.ledger.remove([self.entry])


class ContainerAttempt(Attempt):
    """An ``image`` service: a container run through the Docker SDK."""

    def __init__(self, spec: ServiceSpec, ctx: Context) -> None:
        super().__init__(spec, ctx, f"image: {spec.image} {spec.command or ''}".rstrip())
        name = container_name(spec, ctx)
        _clear_stale(name, ctx)
        state = dockerio.run_container(
            spec.image or "",
            name=name,
            command=spec.command,
            ports=spec.ports,
            env=spec.env,
            labels={SPRINT_LABEL: ctx.sprint.name, SERVICE_LABEL: spec.name},
        )
        self.id = state.id
        self.entry = ctx.remember(Record(spec.name, "container", ctx.now(), container=state.id))

    def failure(self) -> str | None:
        state = dockerio.container(self.id)
        if state is None:
            return "the container is gone"
        return state.describe() if state.status in ("exited", "dead") else None

    def output(self) -> str:
        return self.written() + dockerio.container_logs(self.id, LOG_TAIL_LINES)

    def stop(self) -> None:
        dockerio.remove_container(self.id, self.ctx.grace)
        self.ctx.ledger.remove([self.entry])


class ComposeAttempt(Attempt):
    """``compose up -d SERVICE`` in loopd's project for the sprint."""

    def __init__(self, spec: ServiceSpec, ctx: Context) -> None:
        if ctx.compose_file is None:
            raise dockerio.DockerError(f"{spec.name}: no compose file to start it from")
        self.file = ctx.compose_file
        self.service = spec.compose_service or spec.name
        dockerio.compose_command()
        super().__init__(spec, ctx, f"compose up: {self.service} ({self.file})")
        self.entry = ctx.remember(
            Record(
                spec.name, "compose", ctx.now(), project=ctx.project, compose_file=str(self.file)
            )
        )
        done = compose(ctx, self.file, "up", "-d", self.service, timeout=spec.timeout)
        self.note(done.output)
        self.up_failure = None if done.ok else _command_failure("compose up", done)

    def failure(self) -> str | None:
        if self.up_failure:
            return self.up_failure
        states = dockerio.compose_containers(self.ctx.project, self.service)
        dead = [s for s in states if s.status in ("exited", "dead")]
        return "; ".join(s.describe() for s in dead) or None

    def output(self) -> str:
        states = dockerio.compose_containers(self.ctx.project, self.service)
        return self.written() + "".join(
            dockerio.container_logs(s.id, LOG_TAIL_LINES) for s in states
        )

    def stop(self) -> None:
        # The record stays: the project (its network, other services) goes at stop_all's down.
        done = compose(self.ctx, self.file, "rm", "--stop", "--force", self.service)
        self.note(done.output)


def launch(spec: ServiceSpec, ctx: Context) -> Attempt:
    """Start ``spec`` once; a start that cannot even begin is a :class:`NotStarted`."""
    try:
        if spec.is_process:
            return ProcessAttempt(spec, ctx)
        if spec.kind == "image":
            return ContainerAttempt(spec, ctx)
        return ComposeAttempt(spec, ctx)
    except dockerio.DockerError as exc:
        return NotStarted(spec, ctx, f"{spec.kind}: {spec.name}", str(exc))
    except OSError as exc:
        reason = f"cannot start in {spec.cwd}: {exc.strerror or exc}"
        return NotStarted(spec, ctx, f"start: {spec.start}", reason)


def probe(spec: ServiceSpec, ctx: Context) -> Probe:
    """Look once at ``spec``: its declared health check, else its containers' state."""
    try:
        if spec.health is not None:
            return health.probe(spec.health, cwd=spec.cwd, env=ctx.env_for(spec))
        if spec.kind == "image":
            found = dockerio.container(container_name(spec, ctx))
            return _containers_probe((found,) if found else ())
        if spec.kind == "compose":
            service = spec.compose_service or spec.name
            return _containers_probe(dockerio.compose_containers(ctx.project, service))
    except dockerio.DockerError as exc:
        return Probe(False, str(exc))
    return Probe(False, spec.unchecked or "no health check declared")


def _containers_probe(states: tuple[dockerio.ContainerState, ...]) -> Probe:
    if not states:
        return Probe(False, "no container")
    return Probe(all(s.up for s in states), "; ".join(s.describe() for s in states))


def container_name(spec: ServiceSpec, ctx: Context) -> str:
    return f"{ctx.project}-{spec.name}"


def _clear_stale(name: str, ctx: Context) -> None:
    """Remove a leftover container of ours by this name; refuse to touch anyone else's."""
    stale = dockerio.container(name)
    if stale is None:
        return
    if stale.labels.get(SPRINT_LABEL) != ctx.sprint.name:
        raise dockerio.DockerError(
            f"container name {name} is taken by a container loopd did not start"
        )
    dockerio.remove_container(stale.id, ctx.grace)


def compose(
    ctx: Context, file: Path, *args: str, project: str | None = None, timeout: float = 300
) -> proc.Completed:
    """Run the compose CLI on ``file`` in ``project`` (default: loopd's for the sprint)."""
    argv = [*dockerio.compose_command(), "-p", project or ctx.project, "-f", str(file), *args]
    return proc.run(argv, cwd=file.parent, env=ctx.environ, timeout=timeout)


def _command_failure(what: str, done: proc.Completed) -> str:
    if done.timed_out:
        return f"{what} timed out after {done.duration:.0f}s"
    return f"{what} exited with code {done.returncode}"


def stop_record(record: Record, ctx: Context) -> bool:
    """Stop one recorded process or container; whether anything was still running."""
    if record.kind == "container":
        return dockerio.remove_container(record.container or "", ctx.grace)
    child = ctx.children.pop(record.token or "", None)
    if child is not None:
        alive = child.alive()
        proc.stop(child, ctx.escalation)
        return alive
    return stop_process(record, ctx.escalation)


def compose_down(ctx: Context, project: str, file: Path) -> proc.Completed:
    """``compose down`` of a project loopd brought up."""
    return compose(ctx, file, "down", "-t", str(max(int(ctx.grace), 1)), project=project)
