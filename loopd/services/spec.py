"""What a sprint's services are: frozen specs, however they were declared.

A :class:`ServicePlan` is the outcome of detection (see :mod:`loopd.services.detect`):
which orchestration the repo uses and one :class:`ServiceSpec` per service,
in declaration order.  :func:`start_order` puts them in dependency order.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from loopd.config import FrozenMap
from loopd.errors import LoopdError

# How a service is started: a shell command (declared, loop-v2's npm backend
# and frontend, or a browser), a compose service, or an image run through the SDK.
Kind = Literal["command", "npm", "browser", "compose", "image"]
PROCESS_KINDS: frozenset[str] = frozenset({"command", "npm", "browser"})
Orchestration = Literal["services.yaml", "compose", "npm", "make", "none"]


@dataclass(frozen=True)
class HttpCheck:
    """Healthy when ``url`` answers ``status`` (None: any answer below ``below``).

    ``below`` is 500 for loopd's ``status: any`` and loop-v2's npm probes
    (``curl -s``: any answer), 400 for loop-v2's services.yaml (``curl -sf``).
    """

    url: str
    status: int | None = 200
    below: int = 500

    @property
    def port(self) -> int | None:
        return _url_port(self.url)

    def __str__(self) -> str:
        expected = (
            f"any status below {self.below}" if self.status is None else f"status {self.status}"
        )
        return f"HTTP {self.url} ({expected})"


@dataclass(frozen=True)
class TcpCheck:
    """Healthy when ``host:port`` accepts a connection."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"TCP {self.host}:{self.port}"


@dataclass(frozen=True)
class CommandCheck:
    """Healthy when ``command`` (bash, in the service's cwd) exits 0."""

    command: str
    port: None = None

    def __str__(self) -> str:
        return f"command `{self.command}`"


@dataclass(frozen=True)
class CdpCheck:
    """A browser's DevTools endpoint: ``<url>/json/version`` answers with the browser's name."""

    url: str

    @property
    def port(self) -> int | None:
        return _url_port(self.url)

    @property
    def version_url(self) -> str:
        return self.url.rstrip("/") + "/json/version"

    def __str__(self) -> str:
        return f"CDP {self.version_url}"


Health = HttpCheck | TcpCheck | CommandCheck | CdpCheck


def _url_port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None


@dataclass(frozen=True)
class ServiceSpec:
    """One service: how to start it, where, and how to tell it is up."""

    name: str
    kind: Kind
    cwd: Path
    timeout: float
    start: str | None = None
    compose_service: str | None = None
    image: str | None = None
    command: str | None = None
    ports: tuple[tuple[int, int], ...] = ()
    env: FrozenMap[str] = field(default_factory=FrozenMap)
    health: Health | None = None
    depends_on: tuple[str, ...] = ()
    line: int | None = None
    # Why a started process has no health check (no port declared, a Makefile
    # target): loopd starts it once, leaves it running, and never calls it healthy.
    unchecked: str | None = None

    @property
    def is_process(self) -> bool:
        return self.kind in PROCESS_KINDS

    @property
    def port(self) -> int | None:
        """The port the service listens on, as far as its spec says."""
        if self.health is not None and self.health.port is not None:
            return self.health.port
        return self.ports[0][0] if self.ports else None


@dataclass(frozen=True)
class Unconfigured:
    """A service loopd knows is wanted but has nothing to start it with (an SVC task)."""

    name: str
    kind: Kind
    reason: str


@dataclass(frozen=True)
class ServicePlan:
    """The detected orchestration and its services."""

    orchestration: Orchestration
    source: Path | None = None
    services: tuple[ServiceSpec, ...] = ()
    compose_file: Path | None = None
    unconfigured: tuple[Unconfigured, ...] = ()
    # One line per oddity detection met (``file:line: message``), for doctor, the log and status.
    warnings: tuple[str, ...] = ()

    def get(self, name: str) -> ServiceSpec | None:
        return next((s for s in self.services if s.name == name), None)


def start_order(plan: ServicePlan) -> tuple[ServiceSpec, ...]:
    """``plan``'s services, each after everything it depends on.

    Ties keep declaration order.  A cycle is a :class:`LoopdError` naming it.
    """
    by_name = {spec.name: spec for spec in plan.services}
    sorter = graphlib.TopologicalSorter({s.name: s.depends_on for s in plan.services})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle: list[str] = exc.args[1]
        first = by_name.get(cycle[0])
        raise LoopdError(
            f"services depend on each other in a cycle: {' -> '.join(cycle)}",
            path=plan.source,
            line=first.line if first else None,
        ) from None
    rank = {spec.name: index for index, spec in enumerate(plan.services)}
    ordered: list[ServiceSpec] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda name: rank.get(name, len(rank)))
        ordered += [by_name[name] for name in ready if name in by_name]
        sorter.done(*ready)
    return tuple(ordered)
