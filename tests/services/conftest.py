"""Fixtures for the service tests: real sprints, real processes, free ports, and cleanup.

Every manager a test makes stops what it started at teardown, and every
process a test starts by itself is killed, so no test leaves a server behind.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from loopd import proc
from loopd.config import Config, load_config
from loopd.services import FixService, ServiceManager
from loopd.sprint import Sprint, locate

FIXTURES = Path(__file__).parent.parent / "fixtures" / "services"
SERVER = FIXTURES / "server.py"
LISTENER = FIXTURES / "listener.py"
# Tests stop things quickly: SIGTERM, then SIGKILL after a second.
FAST_STOP = proc.Escalation(steps=((signal.SIGTERM, 1.0),))

MakeManager = Callable[..., ServiceManager]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server(port: int, *args: str) -> str:
    """A services.yaml start command running the fixture HTTP server."""
    return " ".join([sys.executable, str(SERVER), "--port", str(port), *args])


def http_health(port: int) -> str:
    return f"{{http: 'http://127.0.0.1:{port}/'}}"


@pytest.fixture
def sprint(sprint_dir: Path, repo: Path) -> Sprint:
    return locate(repo, "docs/sprints", "s1")


def write_services(sprint: Sprint, text: str) -> Path:
    sprint.services_yaml.write_text(text)
    return sprint.services_yaml


def declare(sprint: Sprint, start: str, port: int, extra: str = "") -> Path:
    """services.yaml with one service, ``api``, healthy once ``port`` answers HTTP 200."""
    entry = f"  api:\n    start: {start}\n    health: {http_health(port)}\n{extra}"
    return write_services(sprint, "services:\n" + entry)


def config_for(sprint: Sprint, overrides: Mapping[str, object] | None = None) -> Config:
    settings: dict[str, object] = {"limits.loop_service_timeout": 10}
    return load_config(
        sprint.repo, sprint, env={}, overrides={**settings, **(overrides or {})}
    ).config


@pytest.fixture
def make_manager(sprint: Sprint) -> Iterator[MakeManager]:
    """``make_manager(fix_service=None, settings=None)``; everything started is stopped after."""
    made: list[ServiceManager] = []

    def make(
        fix_service: FixService | None = None, settings: Mapping[str, object] | None = None
    ) -> ServiceManager:
        config = config_for(sprint, settings)
        manager = ServiceManager(
            sprint, config, fix_service=fix_service, escalation=FAST_STOP, poll_interval=0.05
        )
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.stop_all()


@pytest.fixture
def foreign() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start a process loopd knows nothing about; killed at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*argv: str) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True)
        started.append(child)
        return child

    yield start
    for child in started:
        child.kill()
        child.wait()


def hold_port(start: Callable[..., subprocess.Popen[bytes]], port: int) -> subprocess.Popen[bytes]:
    """A foreign process listening on ``port`` (and hanging up on every connection)."""
    holder = start(sys.executable, str(LISTENER), str(port))
    assert holder.stdout is not None
    holder.stdout.readline()  # "holding port N": it is listening now
    return holder


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    return proc.pid_alive(pid)
