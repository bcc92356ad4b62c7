"""loop-v2's services.yaml entries, translated to :class:`ServiceSpec`.

loop-v2 (``templates/services.yaml.template``, ``lib/services-v2.sh``) wrote::

    services:
      api:
        port: 3001
        health: /api/health     # a path on localhost:<port>
        start: npm run dev:api  # run in the background from the repo root
        type: http              # http | https | tcp | grpc
        required: true          # informational

and read it line by line: a service without ``start`` was neither started nor
checked; one without ``port`` was started but never healthy; http/https were
``curl -sf`` (any status below 400), tcp/grpc and unknown types a port check.
A file that is not valid YAML is read the same line-by-line way, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loopd.config import FrozenMap
from loopd.services.spec import Health, HttpCheck, ServiceSpec, TcpCheck

KEYS = ("port", "health", "start", "type", "required")
TYPES = ("http", "https", "tcp", "grpc")
NO_PORT = (
    "no port declared: loopd starts it but can never see it healthy (nor could loop-v2); "
    "add port: (and health: for http) to check it"
)
Warn = Callable[[int | None, str], None]


@dataclass(frozen=True)
class Field:
    """One key's value as text, and its line."""

    text: str
    line: int


@dataclass(frozen=True)
class Entry:
    """One loop-v2 service: its fields as text, plus loopd's own extras (cwd, env, ...)."""

    name: str
    line: int
    fields: dict[str, Field]


def translate(
    entry: Entry,
    warn: Warn,
    *,
    cwd: Path,
    timeout: float,
    env: FrozenMap[str] | None = None,
    depends_on: tuple[str, ...] = (),
) -> ServiceSpec | None:
    """``entry`` as a started service, or None (with a warning) when it has nothing to start."""
    name, fields = entry.name, entry.fields
    start = fields.get("start")
    if start is None or not start.text:
        warn(
            entry.line, f"{name}: no start command: loopd neither starts nor checks it (as loop-v2)"
        )
        return None
    _required(entry, warn)
    port = _port(entry, warn)
    kind = _type(entry, warn)
    health = None if port is None else _health(entry, kind, port, warn)
    if port is None:
        warn(entry.line, f"{name}: {NO_PORT}")
    return ServiceSpec(
        name=name,
        kind="command",
        cwd=cwd,
        timeout=timeout,
        start=start.text,
        health=health,
        line=entry.line,
        unchecked=NO_PORT if port is None else None,
        env=env or FrozenMap(),
        depends_on=depends_on,
    )


def _port(entry: Entry, warn: Warn) -> int | None:
    given = entry.fields.get("port")
    if given is None:
        return None
    text = given.text.strip()
    if text.isdigit() and 0 < int(text) < 65536:
        return int(text)
    warn(given.line, f"{entry.name}: port {text!r} is not a port number")
    return None


def _type(entry: Entry, warn: Warn) -> str:
    given = entry.fields.get("type")
    if given is None:
        return "http"
    kind = given.text.strip().lower()
    if kind in TYPES:
        return kind
    warn(given.line, f"{entry.name}: type {given.text!r} unknown: checked as tcp (port open)")
    return "tcp"


def _health(entry: Entry, kind: str, port: int, warn: Warn) -> Health:
    given = entry.fields.get("health")
    if kind in ("tcp", "grpc"):
        if given is not None:
            warn(given.line, f"{entry.name}: health is ignored for {kind}: the check is port open")
        return TcpCheck("localhost", port)
    # An empty `health:` is unset, as for loop-v2's reader (it needed one character).
    path = given.text.strip() if given is not None and given.text.strip() else "/"
    if re.match(r"^https?://", path):
        warn(
            given.line if given else None, f"{entry.name}: health is a URL, not a path: used as is"
        )
        return HttpCheck(path, None, below=400)
    if not path.startswith("/"):
        warn(given.line if given else None, f"{entry.name}: health {path!r} read as /{path}")
        path = "/" + path
    return HttpCheck(f"{kind}://localhost:{port}{path}", None, below=400)


def _required(entry: Entry, warn: Warn) -> None:
    given = entry.fields.get("required")
    if given is not None and given.text.strip().lower() not in ("true", "false", "yes", "no"):
        warn(given.line, f"{entry.name}: required {given.text!r} is not true or false (ignored)")


_NAME = re.compile(r"^\s{2}([A-Za-z0-9_-]+):\s*$")
_PROP = re.compile(r"^\s{4}(port|health|start|type|required):\s*(.*?)\s*$")


def read_lines(text: str) -> list[Entry]:
    """Services as loop-v2's own reader saw them: two-space names, four-space keys."""
    entries: list[Entry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if named := _NAME.match(line):
            entries.append(Entry(named.group(1), number, {}))
        elif (prop := _PROP.match(line)) and entries:
            value = re.sub(r"\s+#.*$", "", prop.group(2)).strip().strip("\"'")
            entries[-1].fields[prop.group(1)] = Field(value, number)
    return entries
