"""The sprint's ``services.yaml``, validated into :class:`ServiceSpec` objects.

::

    compose_file: deploy/docker-compose.yml   # optional; else the detected one
    services:
      api:
        start: npm run dev          # a shell command, run in its own process group
        cwd: backend                # relative to the repo root (default: the root)
        env: {PORT: "3001"}
        health: {http: "http://127.0.0.1:3001/health", status: 200}
        timeout: 60                 # default: limits.loop_service_timeout
        depends_on: [db]
      db:
        compose: postgres           # a service of the compose file
        health: {tcp: "127.0.0.1:5432"}
      cache:
        image: redis:7              # run through the Docker SDK, removed on stop
        command: redis-server --save ""
        ports: ["6379:6379"]        # HOST:CONTAINER, or one number for both
      browser:
        start: chromium --headless --remote-debugging-port=9222
        health: {cdp: "http://127.0.0.1:9222"}

Health is one of ``http`` (+ ``status``: a code, or ``any`` for any answer
below 500), ``tcp`` (``host:port``), ``command`` or ``cdp``.  The file is
composed into nodes, not loaded, so every error names its line.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from loopd import fsio
from loopd.config import FrozenMap
from loopd.errors import LoopdError
from loopd.services.spec import (
    CdpCheck,
    CommandCheck,
    Health,
    HttpCheck,
    Kind,
    ServiceSpec,
    TcpCheck,
)

T = TypeVar("T")
D = TypeVar("D")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
TOP_KEYS = ("services", "compose_file")
HOW_KEYS: dict[str, Kind] = {"start": "command", "compose": "compose", "image": "image"}
SERVICE_KEYS = (*HOW_KEYS, "command", "ports", "cwd", "env", "health", "timeout", "depends_on")
HEALTH_KINDS = ("http", "tcp", "command", "cdp")
EXAMPLE = "e.g. 'services: {api: {start: npm run dev, health: {http: http://127.0.0.1:3001/}}}'"


@dataclass(frozen=True)
class ServicesFile:
    """A parsed ``services.yaml``."""

    path: Path
    services: tuple[ServiceSpec, ...]
    compose_file: Path | None
    compose_line: int | None


def load_services_file(path: Path, repo: Path, default_timeout: float) -> ServicesFile:
    """Parse and validate ``path``; any problem is a :class:`LoopdError` at its line."""
    doc = _Doc(path, fsio.read_text(path))
    try:
        return doc.parse(repo, default_timeout)
    finally:
        doc.loader.dispose()


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Doc:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.loader = self.guard(lambda: yaml.SafeLoader(text), None)

    def parse(self, repo: Path, default_timeout: float) -> ServicesFile:
        root = self.guard(self.loader.get_single_node, None)
        if root is None:
            raise LoopdError("is empty: it must declare services", path=self.path, hint=EXAMPLE)
        top = self.mapping(root, "services.yaml", TOP_KEYS)
        if "services" not in top:
            raise self.error(root, "has no 'services' mapping", EXAMPLE)
        compose = top.get("compose_file")
        entries = self.mapping(top["services"][1], "services", None)
        if not entries:
            raise self.error(top["services"][1], "declares no services", EXAMPLE)
        build = _ServiceBuilder(self, repo, default_timeout)
        specs = tuple(build(name, key, node) for name, (key, node) in entries.items())
        self.check_dependencies(specs, entries)
        return ServicesFile(
            path=self.path,
            services=specs,
            compose_file=repo / self.string(compose[1], "compose_file") if compose else None,
            compose_line=_line(compose[1]) if compose else None,
        )

    def check_dependencies(self, specs: tuple[ServiceSpec, ...], entries: _Entries) -> None:
        names = {spec.name for spec in specs}
        for spec in specs:
            for dep in spec.depends_on:
                if dep not in names:
                    node = self.mapping(entries[spec.name][1], spec.name, SERVICE_KEYS)
                    raise self.error(
                        node["depends_on"][1],
                        f"{spec.name}: depends_on names unknown service {dep!r}",
                        f"declared: {', '.join(sorted(names))}",
                    )

    def mapping(self, node: Node, what: str, known: tuple[str, ...] | None) -> _Entries:
        """``{key: (key node, value node)}``; unknown and repeated keys are errors."""
        if not isinstance(node, MappingNode):
            raise self.error(node, f"{what} must be a mapping")
        self.guard(lambda: self.loader.flatten_mapping(node), node)
        found: _Entries = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                raise self.error(key_node, f"{what}: keys must be strings, not {key!r}")
            if key in found:
                first = _line(found[key][0])
                raise self.error(key_node, f"{what}: {key} is set twice (first at line {first})")
            if known is not None and key not in known:
                raise self.error(
                    key_node, f"{what}: unknown key {key!r}", f"known: {', '.join(known)}"
                )
            found[key] = (key_node, value_node)
        return found

    def value(self, node: Node) -> object:
        return self.guard(lambda: self.loader.construct_object(node, deep=True), node)

    def string(self, node: Node, what: str, empty: bool = False) -> str:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(node, f"{what} must be a string")
        if value == "" and not empty:
            raise self.error(node, f"{what} must not be empty")
        return str(value)

    def number(self, node: Node, what: str, low: int = 1) -> int:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.error(node, f"{what} must be a whole number >= {low}, not {value!r}")
        return value

    def strings(self, node: Node, what: str, empty: bool = False) -> tuple[str, ...]:
        if isinstance(node, ScalarNode):
            return (self.string(node, what),)
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"{what} must be a list")
        return tuple(self.string(item, what, empty) for item in node.value)

    def error(self, node: Node, message: str, hint: str | None = None) -> LoopdError:
        return LoopdError(message, path=self.path, line=_line(node), hint=hint)

    def guard(self, step: Callable[[], T], node: Node | None) -> T:
        """Run one PyYAML step; whatever it rejects is located in the file."""
        try:
            return step()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise LoopdError(
                f"invalid YAML: {exc.problem or exc.context}", path=self.path, line=line
            ) from None
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            line = _line(node) if node is not None else None
            raise LoopdError(f"invalid YAML: {exc}", path=self.path, line=line) from None


_Entries = dict[str, tuple[Node, Node]]


class _ServiceBuilder:
    """Turns one ``services:`` entry into a :class:`ServiceSpec`."""

    def __init__(self, doc: _Doc, repo: Path, default_timeout: float) -> None:
        self.doc = doc
        self.repo = repo
        self.default_timeout = default_timeout

    def __call__(self, name: str, key: Node, node: Node) -> ServiceSpec:
        if not NAME.match(name):
            raise self.doc.error(key, f"service name {name!r}: use letters, digits, '.', '_', '-'")
        fields = self.doc.mapping(node, name, SERVICE_KEYS)
        kind, value = self._how(name, key, fields)
        spec = ServiceSpec(
            name=name,
            kind=kind,
            start=value if kind == "command" else None,
            compose_service=value if kind == "compose" else None,
            image=value if kind == "image" else None,
            command=self._optional(fields, "command", self._command, name, None),
            ports=self._optional(fields, "ports", self._ports, name, ()),
            cwd=self._cwd(name, fields),
            timeout=self._timeout(name, fields),
            env=self._env(name, fields),
            health=self._health(name, fields),
            depends_on=self._optional(fields, "depends_on", self.doc.strings, name, ()),
            line=_line(key),
        )
        self._check_kind(spec, fields)
        return spec

    def _how(self, name: str, key: Node, fields: _Entries) -> tuple[Kind, str]:
        given = [k for k in HOW_KEYS if k in fields]
        if len(given) != 1:
            raise self.doc.error(
                key,
                f"{name}: give exactly one of start, compose or image (found {len(given)})",
            )
        how = given[0]
        return HOW_KEYS[how], self.doc.string(fields[how][1], f"{name}.{how}")

    def _check_kind(self, spec: ServiceSpec, fields: _Entries) -> None:
        for key in ("command", "ports"):
            if key in fields and spec.kind != "image":
                raise self.doc.error(fields[key][0], f"{spec.name}: {key} is for image services")
        if spec.kind == "command" and spec.health is None:
            raise self.doc.error(
                fields["start"][0],
                f"{spec.name}: a started service needs a health check",
                "add health: {http: URL} or {tcp: host:port} or {command: ...}",
            )

    def _optional(
        self,
        fields: _Entries,
        key: str,
        read: Callable[[Node, str], T],
        name: str,
        default: D,
    ) -> T | D:
        return read(fields[key][1], f"{name}.{key}") if key in fields else default

    def _cwd(self, name: str, fields: _Entries) -> Path:
        cwd = self._optional(fields, "cwd", self.doc.string, name, ".")
        return (self.repo / cwd).resolve()

    def _timeout(self, name: str, fields: _Entries) -> float:
        return float(self._optional(fields, "timeout", self.doc.number, name, self.default_timeout))

    def _env(self, name: str, fields: _Entries) -> FrozenMap[str]:
        if "env" not in fields:
            return FrozenMap()
        entries = self.doc.mapping(fields["env"][1], f"{name}.env", None)
        return FrozenMap(
            {k: self.doc.string(v, f"{name}.env.{k}") for k, (_, v) in entries.items()}
        )

    def _command(self, node: Node, what: str) -> str:
        if isinstance(node, SequenceNode):
            return shlex.join(self.doc.strings(node, what, empty=True))
        return self.doc.string(node, what)

    def _ports(self, node: Node, what: str) -> tuple[tuple[int, int], ...]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        return tuple(self._port_pair(item, what) for item in items)

    def _port_pair(self, node: Node, what: str) -> tuple[int, int]:
        text = self.doc.string(node, what)
        match = re.fullmatch(r"(\d{1,5})(?::(\d{1,5}))?", text)
        ports = [int(p) for p in match.groups() if p] if match else []
        if not ports or not all(0 < p < 65536 for p in ports):
            raise self.doc.error(node, f"{what}: {text!r} is not HOST:CONTAINER or one port")
        return ports[0], ports[-1]

    def _health(self, name: str, fields: _Entries) -> Health | None:
        if "health" not in fields:
            return None
        what = f"{name}.health"
        node = fields["health"][1]
        entries = self.doc.mapping(node, what, (*HEALTH_KINDS, "status"))
        kinds = [k for k in HEALTH_KINDS if k in entries]
        if len(kinds) != 1:
            raise self.doc.error(node, f"{what}: give exactly one of {', '.join(HEALTH_KINDS)}")
        if "status" in entries and kinds[0] != "http":
            raise self.doc.error(entries["status"][0], f"{what}: status is for http checks")
        return self._check(kinds[0], entries, what)

    def _check(self, kind: str, entries: _Entries, what: str) -> Health:
        node = entries[kind][1]
        target = self.doc.string(node, f"{what}.{kind}")
        if kind == "tcp":
            return self._tcp(node, target, what)
        if kind == "command":
            return CommandCheck(target)
        if not re.match(r"^https?://[^/\s]+", target):
            raise self.doc.error(node, f"{what}.{kind}: {target!r} is not an http:// URL")
        if kind == "cdp":
            return CdpCheck(target)
        return HttpCheck(target, self._status(entries, what))

    def _tcp(self, node: Node, target: str, what: str) -> TcpCheck:
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise self.doc.error(node, f"{what}.tcp: {target!r} is not host:port")
        return TcpCheck(host.strip("[]"), int(port))

    def _status(self, entries: _Entries, what: str) -> int | None:
        if "status" not in entries:
            return 200
        node = entries["status"][1]
        if self.doc.value(node) == "any":
            return None
        status = self.doc.number(node, f"{what}.status", low=100)
        if status > 599:
            raise self.doc.error(node, f"{what}.status: {status} is not an HTTP status")
        return status
