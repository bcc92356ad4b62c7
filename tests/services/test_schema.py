"""services.yaml: what it declares, and every mistake named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.services.schema import load_services_file
from loopd.services.spec import CdpCheck, CommandCheck, HttpCheck, TcpCheck

FULL = """\
compose_file: deploy/compose.yml
services:
  api:
    start: npm run dev
    cwd: backend
    env: {PORT: 3001, DEBUG: "1"}
    health: {http: "http://127.0.0.1:3001/health", status: 204}
    timeout: 30
    depends_on: [db, cache]
  db:
    compose: postgres
    health: {tcp: "127.0.0.1:5432"}
  cache:
    image: redis:7
    command: [redis-server, --save, ""]
    ports: ["16379:6379", 8080]
  web:
    start: npx vite
    health: {http: "http://localhost:3000/", status: any}
    depends_on: api
  browser:
    start: chromium --headless --remote-debugging-port=9222
    health: {cdp: "http://127.0.0.1:9222"}
  worker:
    start: ./worker
    health: {command: "test -f /tmp/ready"}
"""


def parse(tmp_path: Path, text: str, timeout: float = 60):  # type: ignore[no-untyped-def]
    path = tmp_path / "services.yaml"
    path.write_text(text)
    return load_services_file(path, tmp_path, timeout)


def error(tmp_path: Path, text: str) -> LoopdError:
    with pytest.raises(LoopdError) as caught:
        parse(tmp_path, text)
    assert caught.value.path == tmp_path / "services.yaml"
    return caught.value


def test_full_file(tmp_path: Path) -> None:
    parsed = parse(tmp_path, FULL, timeout=45)
    services = {s.name: s for s in parsed.services}
    assert list(services) == ["api", "db", "cache", "web", "browser", "worker"]
    api = services["api"]
    assert (api.kind, api.start, api.cwd) == ("command", "npm run dev", tmp_path / "backend")
    assert dict(api.env) == {"PORT": "3001", "DEBUG": "1"}
    assert api.health == HttpCheck("http://127.0.0.1:3001/health", 204)
    assert (api.timeout, api.depends_on, api.line) == (30, ("db", "cache"), 3)
    assert services["db"].compose_service == "postgres"
    assert services["db"].health == TcpCheck("127.0.0.1", 5432)
    assert services["db"].timeout == 45
    cache = services["cache"]
    assert (cache.image, cache.command) == ("redis:7", "redis-server --save ''")
    assert cache.ports == ((16379, 6379), (8080, 8080)) and cache.health is None
    assert services["web"].health == HttpCheck("http://localhost:3000/", None)
    assert services["web"].depends_on == ("api",)
    assert services["browser"].health == CdpCheck("http://127.0.0.1:9222")
    assert services["worker"].health == CommandCheck("test -f /tmp/ready")
    assert parsed.compose_file == tmp_path / "deploy" / "compose.yml"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "services:\n  api:\n    start: x\n    image: y\n    health: {tcp: 'h:1'}\n",
            2,
            "exactly one of start, compose or image",
        ),
        ("services:\n  api:\n    compose: x\n    health: {tcp: 'nope'}\n", 4, "not host:port"),
        ("services:\n  a:\n    compose: x\n    timeout: soon\n", 4, "whole number"),
        ("services:\n  a:\n    start: x\n    ports: [80]\n    health: {tcp: 'h:1'}\n", 4, "image"),
        ("services:\n  a:\n    image: x\n    ports: ['80:99999']\n", 4, "HOST:CONTAINER"),
        ("services:\n  a:\n    compose: x\n    health: {http: 'ftp://x'}\n", 4, "http:// URL"),
        (
            "services:\n  a:\n    compose: x\n    health: {tcp: 'h:1', status: 200}\n",
            4,
            "status is for http",
        ),
        (
            "services:\n  a:\n    compose: x\n    health: {http: 'http://x', tcp: 'h:1'}\n",
            4,
            "one of",
        ),
        ("services:\n  a:\n    compose: [x\n", 4, "invalid YAML"),
    ],
)
def test_mistakes_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    problem = error(tmp_path, text)
    assert problem.line == line, str(problem)
    assert words in problem.message
    assert str(problem).startswith(f"{tmp_path / 'services.yaml'}:{line}: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["services.yaml: declares no services: it is empty or not a mapping"]),
        ("services: []\n", ["services.yaml:1: services is not a mapping: nothing declared"]),
        (
            "services: {}\n",
            ["services.yaml:1: services is empty (all commented out?): nothing declared"],
        ),
        (
            "other: 1\n",
            [
                "services.yaml:1: services.yaml: unknown key 'other' ignored"
                " (known: services, compose_file)",
                "services.yaml:1: has no 'services:' mapping: nothing declared",
            ],
        ),
        (
            "services:\n  a b:\n    compose: x\n  c: npm start\n",
            [
                "services.yaml:2: service name 'a b' ignored: use letters, digits, '.', '_', '-'",
                "services.yaml:4: c: ignored: a service is a mapping of keys",
            ],
        ),
    ],
)
def test_nothing_usable_is_a_warning_not_a_refusal(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    parsed = parse(tmp_path, text)
    assert parsed.services == () and list(parsed.warnings) == expected


def test_loopd_oddities_are_warnings_with_their_line(tmp_path: Path) -> None:
    parsed = parse(
        tmp_path,
        "services:\n"
        "  a:\n    compose: x\n    depends_on: [zz]\n    helth: {tcp: 'h:1'}\n"
        "  b:\n    compose: y\n    compose: z\n",
    )
    a, b = parsed.services
    assert a.depends_on == () and b.compose_service == "z"
    assert list(parsed.warnings) == [
        "services.yaml:5: a: unknown key 'helth' ignored (known: start, compose, image, command,"
        " ports, health, cwd, env, timeout, depends_on)",
        "services.yaml:8: b: compose is set twice (first at line 7): this one is used",
        "services.yaml:2: a: depends_on 'zz' ignored: no such started service",
    ]
