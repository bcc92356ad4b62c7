"""The Docker seam: everything loopd asks of a Docker engine goes through here."""

from __future__ import annotations

from dataclasses import dataclass

import docker
import docker.errors


@dataclass(frozen=True)
class EngineStatus:
    reachable: bool
    detail: str


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


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
