"""The Docker seam: everything loopd asks of a Docker engine goes through here.

The SDK answers for containers (run, state, health, logs, removal); compose
projects go through whichever compose CLI is installed (``docker-compose`` or
the ``docker compose`` plugin), found once and run through :mod:`loopd.proc`.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import docker
import docker.errors
from docker.models.containers import Container

from loopd import proc
from loopd.errors import LoopdError

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
COMPOSE_SERVICE_LABEL = "com.docker.compose.service"
CLIENT_TIMEOUT = 30


class DockerError(LoopdError):
    """The engine refused or could not be reached; the message says what it answered."""


@dataclass(frozen=True)
class EngineStatus:
    reachable: bool
    detail: str


@dataclass(frozen=True)
class ContainerState:
    """A container as the engine sees it now."""

    id: str
    name: str
    status: str
    health: str | None
    exit_code: int | None
    labels: Mapping[str, str]

    @property
    def up(self) -> bool:
        """Running, and healthy if the image declares a health check."""
        return self.status == "running" and self.health in (None, "healthy")

    def describe(self) -> str:
        health = f", {self.health}" if self.health else ""
        code = f", exit code {self.exit_code}" if self.status in ("exited", "dead") else ""
        return f"container {self.name} is {self.status}{health}{code}"


def engine_status(timeout: float = 3.0) -> EngineStatus:
    """Whether a Docker engine answers (DOCKER_HOST or the default socket)."""
    try:
        client = docker.from_env(timeout=int(max(timeout, 1)))
    except docker.errors.DockerException as exc:
        return EngineStatus(False, _first_line(exc))
    try:
        version = client.version()
        return EngineStatus(True, f"engine {version.get('Version', '?')}")
    except docker.errors.DockerException as exc:
        return EngineStatus(False, _first_line(exc))
    finally:
        client.close()


@functools.cache
def compose_command() -> tuple[str, ...]:
    """The compose CLI: ``docker-compose`` if installed, else ``docker compose``."""
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    if shutil.which("docker") and proc.run(["docker", "compose", "version"], timeout=30).ok:
        return ("docker", "compose")
    raise DockerError(
        "no compose CLI: neither docker-compose nor the docker compose plugin is installed",
        hint="apt-get install docker-compose",
    )


@contextlib.contextmanager
def _client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=CLIENT_TIMEOUT)
    except docker.errors.DockerException as exc:
        raise DockerError(f"no Docker engine answers: {_first_line(exc)}") from None
    try:
        yield client
    except docker.errors.DockerException as exc:
        raise DockerError(f"Docker: {_first_line(exc)}") from None
    finally:
        client.close()


def _state(container: Container) -> ContainerState:
    state = container.attrs.get("State", {})
    return ContainerState(
        id=container.id,
        name=container.name,
        status=container.status,
        health=(state.get("Health") or {}).get("Status"),
        exit_code=state.get("ExitCode"),
        labels=dict(container.labels or {}),
    )


def container(name_or_id: str) -> ContainerState | None:
    """The container with this name or id, or None if there is none."""
    with _client() as client:
        try:
            return _state(client.containers.get(name_or_id))
        except docker.errors.NotFound:
            return None


def compose_containers(project: str, service: str) -> tuple[ContainerState, ...]:
    """The containers of one service of a compose project, running or not."""
    labels = [f"{COMPOSE_PROJECT_LABEL}={project}", f"{COMPOSE_SERVICE_LABEL}={service}"]
    with _client() as client:
        found = client.containers.list(all=True, filters={"label": labels})
        return tuple(_state(c) for c in found)


def run_container(
    image: str,
    *,
    name: str,
    command: str | None,
    ports: Sequence[tuple[int, int]],
    env: Mapping[str, str],
    labels: Mapping[str, str],
) -> ContainerState:
    """Start ``image`` detached as ``name``, publishing ``(host, container)`` ports."""
    with _client() as client:
        try:
            started = client.containers.run(
                image,
                command=command,
                name=name,
                detach=True,
                environment=dict(env),
                labels=dict(labels),
                ports={f"{inner}/tcp": ("0.0.0.0", outer) for outer, inner in ports},
            )
        except docker.errors.APIError:
            _remove_unstarted(client, name, labels)
            raise
        started.reload()
        return _state(started)


def _remove_unstarted(client: docker.DockerClient, name: str, labels: Mapping[str, str]) -> None:
    """A container created but refused a start (port taken, say) is ours to remove."""
    with contextlib.suppress(docker.errors.DockerException):
        created = client.containers.get(name)
        if all(created.labels.get(k) == v for k, v in labels.items()):
            created.remove(force=True)


def container_logs(name_or_id: str, tail: int = 200) -> str:
    """The last ``tail`` lines the container wrote (stdout and stderr)."""
    with _client() as client:
        try:
            raw = client.containers.get(name_or_id).logs(tail=tail)
        except docker.errors.NotFound:
            return ""
    return bytes(raw).decode("utf-8", errors="replace")


def remove_container(name_or_id: str, grace: float) -> bool:
    """Stop (SIGTERM, ``grace`` seconds, SIGKILL) and remove; False if it was gone already."""
    with _client() as client:
        try:
            found = client.containers.get(name_or_id)
        except docker.errors.NotFound:
            return False
        with contextlib.suppress(docker.errors.NotFound):
            found.stop(timeout=max(int(grace), 0))
        with contextlib.suppress(docker.errors.NotFound):
            found.remove(force=True)
        return True


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
