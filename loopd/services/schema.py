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
      web:                          # loop-v2's own format, service by service
        port: 3000
        health: /
        start: npm run dev

Health is one of ``http`` (+ ``status``: a code, or ``any`` for any answer
below 500), ``tcp`` (``host:port``), ``command`` or ``cdp``.  A service whose
health is a mapping, or that has ``compose`` or ``image``, is loopd's format;
any other is loop-v2's (``port``, ``health: /path``, ``start``, ``type``,
``required``: see :mod:`loopd.services.v2format`).  Oddities loopd can read
past are warnings ``file:line: message``; what it cannot act on is a
:class:`LoopdError` at its line.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from loopd import fsio
from loopd.config import FrozenMap
from loopd.errors import LoopdError
from loopd.services import v2format
from loopd.services.spec import (
    CdpCheck,
    CommandCheck,
    Health,
    HttpCheck,
    Kind,
    ServiceSpec,
    TcpCheck,
)
from loopd.services.yamldoc import Entries, YamlDoc, line_of

T = TypeVar("T")
D = TypeVar("D")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
TOP_KEYS = ("services", "compose_file")
HOW_KEYS: dict[str, Kind] = {"start": "command", "compose": "compose", "image": "image"}
SHARED_KEYS = ("cwd", "env", "timeout", "depends_on")
SERVICE_KEYS = (*HOW_KEYS, "command", "ports", "health", *SHARED_KEYS)
HEALTH_KINDS = ("http", "tcp", "command", "cdp")


@dataclass(frozen=True)
class ServicesFile:
    """A parsed ``services.yaml`` (or ``services.yml``) and what was odd in it."""

    path: Path
    services: tuple[ServiceSpec, ...]
    compose_file: Path | None = None
    compose_line: int | None = None
    warnings: tuple[str, ...] = ()


def load_services_file(path: Path, repo: Path, default_timeout: float) -> ServicesFile:
    """Parse ``path``: oddities are warnings, what cannot be acted on a located LoopdError."""
    text = fsio.read_text(path)
    doc = YamlDoc(path, text, _relative(path, repo))
    try:
        return _Parser(doc, repo, default_timeout).parse()
    except LoopdError as exc:
        if not exc.message.startswith("invalid YAML"):
            raise
        return _read_like_loop_v2(doc, exc, repo, default_timeout)
    finally:
        doc.close()


def _relative(path: Path, repo: Path) -> str:
    try:
        return str(path.relative_to(repo))
    except ValueError:
        return str(path)


def _read_like_loop_v2(
    doc: YamlDoc, problem: LoopdError, repo: Path, timeout: float
) -> ServicesFile:
    """Invalid YAML that loop-v2's line reader could still read: read it that way, warned."""
    entries = v2format.read_lines(doc.text)
    loopd_style = any(f.text.startswith("{") for e in entries for f in e.fields.values())
    if loopd_style or not any("start" in e.fields for e in entries):
        raise problem
    warnings = [f"{doc.where}:{problem.line}: {problem.message}: read line by line as loop-v2 did"]
    doc.warnings = warnings
    specs = [v2format.translate(e, doc.warn, cwd=repo, timeout=timeout) for e in entries]
    found = tuple(spec for spec in specs if spec is not None)
    return ServicesFile(doc.path, found, warnings=tuple(doc.warnings))


def _is_loopd_style(node: MappingNode) -> bool:
    """loopd's format has a health mapping or a compose/image service; loop-v2's has neither."""
    for key, value in node.value:
        name = key.value if isinstance(key, ScalarNode) else None
        if name in ("compose", "image") or (name == "health" and isinstance(value, MappingNode)):
            return True
    return False


class _Parser:
    def __init__(self, doc: YamlDoc, repo: Path, default_timeout: float) -> None:
        self.doc = doc
        self.repo = repo
        self.build = _ServiceBuilder(doc, repo, default_timeout)

    def parse(self) -> ServicesFile:
        doc = self.doc
        root = doc.root()
        if root is None or not isinstance(root, MappingNode):
            line = None if root is None else line_of(root)
            return self.nothing(line, "declares no services: it is empty or not a mapping")
        top = doc.mapping(root, "services.yaml", TOP_KEYS)
        if "services" not in top:
            return self.nothing(line_of(root), "has no 'services:' mapping: nothing declared")
        node = top["services"][1]
        if not isinstance(node, MappingNode) or not node.value:
            why = "is empty (all commented out?)" if self._empty(node) else "is not a mapping"
            return self.nothing(line_of(node), f"services {why}: nothing declared")
        specs = self.services(doc.mapping(node, "services", None))
        compose = top.get("compose_file")
        return ServicesFile(
            path=doc.path,
            services=specs,
            compose_file=self.repo / doc.string(compose[1], "compose_file") if compose else None,
            compose_line=line_of(compose[1]) if compose else None,
            warnings=tuple(doc.warnings),
        )

    def _empty(self, node: Node) -> bool:
        if isinstance(node, MappingNode):
            return True  # a mapping reaching here has no entries
        return isinstance(node, ScalarNode) and self.doc.value(node) is None

    def nothing(self, line: int | None, message: str) -> ServicesFile:
        self.doc.warn(line, message)
        return ServicesFile(self.doc.path, (), warnings=tuple(self.doc.warnings))

    def services(self, entries: Entries) -> tuple[ServiceSpec, ...]:
        specs: list[ServiceSpec] = []
        for name, (key, node) in entries.items():
            spec = self.service(name, key, node)
            specs += [spec] if spec is not None else []
        return self.check_dependencies(specs)

    def service(self, name: str, key: Node, node: Node) -> ServiceSpec | None:
        if not NAME.match(name):
            message = f"service name {name!r} ignored: use letters, digits, '.', '_', '-'"
            self.doc.warn(line_of(key), message)
            return None
        if not isinstance(node, MappingNode):
            self.doc.warn(line_of(key), f"{name}: ignored: a service is a mapping of keys")
            return None
        if _is_loopd_style(node):
            return self.build(name, key, self.doc.mapping(node, name, SERVICE_KEYS))
        known = (*v2format.KEYS, *SHARED_KEYS)
        return self.build.loop_v2(name, key, self.doc.mapping(node, name, known))

    def check_dependencies(self, specs: list[ServiceSpec]) -> tuple[ServiceSpec, ...]:
        """Specs whose depends_on name only declared, started services (the rest warned)."""
        names = {spec.name for spec in specs}
        kept: list[ServiceSpec] = []
        for spec in specs:
            unknown = [dep for dep in spec.depends_on if dep not in names]
            for dep in unknown:
                message = f"{spec.name}: depends_on {dep!r} ignored: no such started service"
                self.doc.warn(spec.line, message)
            deps = tuple(dep for dep in spec.depends_on if dep in names)
            kept.append(dataclasses.replace(spec, depends_on=deps))
        return tuple(kept)


class _ServiceBuilder:
    """Turns one ``services:`` entry into a :class:`ServiceSpec`."""

    def __init__(self, doc: YamlDoc, repo: Path, default_timeout: float) -> None:
        self.doc = doc
        self.repo = repo
        self.default_timeout = default_timeout

    def __call__(self, name: str, key: Node, fields: Entries) -> ServiceSpec:
        kind, value = self._how(name, key, fields)
        spec = ServiceSpec(
            name=name,
            kind=kind,
            start=value if kind == "command" else None,
            compose_service=value if kind == "compose" else None,
            image=value if kind == "image" else None,
            command=self._optional(fields, "command", self._command, name, None),
            ports=self._optional(fields, "ports", self._ports, name, ()),
            health=self._health(name, fields),
            line=line_of(key),
            cwd=self._cwd(name, fields),
            timeout=self._timeout(name, fields),
            env=self._env(name, fields),
            depends_on=self._depends_on(name, fields),
        )
        self._check_kind(spec, fields)
        return spec

    def loop_v2(self, name: str, key: Node, fields: Entries) -> ServiceSpec | None:
        """A service in loop-v2's format (port, health path, start, type, required)."""
        entry = v2format.Entry(name, line_of(key), {})
        for field in v2format.KEYS:
            if field in fields:
                entry.fields[field] = self._text(name, field, fields[field][1])
        return v2format.translate(
            entry,
            self.doc.warn,
            cwd=self._cwd(name, fields),
            timeout=self._timeout(name, fields),
            env=self._env(name, fields),
            depends_on=self._depends_on(name, fields),
        )

    def _text(self, name: str, field: str, node: Node) -> v2format.Field:
        """A loop-v2 value as the text loop-v2's line reader took from the file."""
        if not isinstance(node, ScalarNode):
            message = f"{name}.{field}: written as a YAML list or mapping: read as its text"
            self.doc.warn(line_of(node), message)
            return v2format.Field(self.doc.source(node), line_of(node))
        value = self.doc.value(node)
        text = (
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )
        return v2format.Field(text, line_of(node))

    def _depends_on(self, name: str, fields: Entries) -> tuple[str, ...]:
        return self._optional(fields, "depends_on", self.doc.strings, name, ())

    def _how(self, name: str, key: Node, fields: Entries) -> tuple[Kind, str]:
        given = [k for k in HOW_KEYS if k in fields]
        if len(given) != 1:
            raise self.doc.error(
                key,
                f"{name}: give exactly one of start, compose or image (found {len(given)})",
            )
        how = given[0]
        return HOW_KEYS[how], self.doc.string(fields[how][1], f"{name}.{how}")

    def _check_kind(self, spec: ServiceSpec, fields: Entries) -> None:
        for key in ("command", "ports"):
            if key in fields and spec.kind != "image":
                raise self.doc.error(fields[key][0], f"{spec.name}: {key} is for image services")

    def _optional(
        self,
        fields: Entries,
        key: str,
        read: Callable[[Node, str], T],
        name: str,
        default: D,
    ) -> T | D:
        return read(fields[key][1], f"{name}.{key}") if key in fields else default

    def _cwd(self, name: str, fields: Entries) -> Path:
        cwd = self._optional(fields, "cwd", self.doc.string, name, ".")
        return (self.repo / cwd).resolve()

    def _timeout(self, name: str, fields: Entries) -> float:
        return float(self._optional(fields, "timeout", self.doc.number, name, self.default_timeout))

    def _env(self, name: str, fields: Entries) -> FrozenMap[str]:
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

    def _health(self, name: str, fields: Entries) -> Health | None:
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

    def _check(self, kind: str, entries: Entries, what: str) -> Health:
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

    def _status(self, entries: Entries, what: str) -> int | None:
        if "status" not in entries:
            return 200
        node = entries["status"][1]
        if self.doc.value(node) == "any":
            return None
        status = self.doc.number(node, f"{what}.status", low=100)
        if status > 599:
            raise self.doc.error(node, f"{what}.status: {status} is not an HTTP status")
        return status
