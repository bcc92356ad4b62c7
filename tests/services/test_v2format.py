"""loop-v2's own services.yaml format, read and translated (it used to be `unknown key 'port'`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.services.schema import load_services_file
from loopd.services.spec import HttpCheck, TcpCheck
from loopd.services.v2format import NO_PORT

# What templates/services.yaml.template and lib/services-v2.sh document, as a user fills it in.
TEMPLATE = """\
# Sprint Services Configuration
services:
  api:
    port: 3001
    health: /api/health      # Health check endpoint
    start: npm run dev:api   # Command to start
    type: http               # http, https, tcp, grpc
    required: true           # Block if can't start?

  frontend:
    port: 3000
    health: /
    start: cd frontend && npm run dev
    type: http

  postgres:
    port: 5432
    start: docker-compose up -d postgres
    type: tcp
    required: true

  redis:
    port: 6379
    start: docker-compose up -d redis
    type: grpc
    required: false          # Optional - app works without it
"""


def parse(tmp_path: Path, text: str, timeout: float = 60):  # type: ignore[no-untyped-def]
    (tmp_path / "services.yaml").write_text(text)
    return load_services_file(tmp_path / "services.yaml", tmp_path, timeout)


def test_the_template_translates_without_a_warning(tmp_path: Path) -> None:
    parsed = parse(tmp_path, TEMPLATE, timeout=45)
    assert parsed.warnings == ()
    api, frontend, postgres, redis = parsed.services
    assert (api.name, api.kind, api.start, api.cwd, api.line) == (
        "api",
        "command",
        "npm run dev:api",
        tmp_path,
        3,
    )
    # curl -sf on localhost:<port><path>: any status below 400.
    assert api.health == HttpCheck("http://localhost:3001/api/health", None, below=400)
    assert api.timeout == 45 and api.unchecked is None and dict(api.env) == {}
    assert frontend.start == "cd frontend && npm run dev"
    assert frontend.health == HttpCheck("http://localhost:3000/", None, below=400)
    assert postgres.health == TcpCheck("localhost", 5432)
    assert redis.health == TcpCheck("localhost", 6379)  # grpc: port open


def test_the_template_as_shipped_declares_nothing(tmp_path: Path) -> None:
    commented = "services:\n  # api:\n  #   port: 3001\n  #   start: npm run dev:api\n"
    parsed = parse(tmp_path, commented)
    assert parsed.services == ()
    assert parsed.warnings == (
        "services.yaml:1: services is empty (all commented out?): nothing declared",
    )


def test_oddities_are_one_warning_each_with_their_line(tmp_path: Path) -> None:
    parsed = parse(
        tmp_path,
        "services:\n"
        "  db:\n    port: 5432\n    type: tcp\n"  # no start: skipped
        "  worker:\n    start: npm run worker\n"  # no port: never healthy
        "  mq:\n    port: '5672'\n    start: rabbit\n    type: amqp\n    health: /x\n"
        "  full:\n    port: 9000\n    health: http://127.0.0.1:9000/up\n    start: s\n"
        "    restart: always\n",
    )
    assert [s.name for s in parsed.services] == ["worker", "mq", "full"]
    worker, mq, full = parsed.services
    assert worker.health is None and worker.unchecked == NO_PORT
    assert mq.health == TcpCheck("localhost", 5672)
    assert full.health == HttpCheck("http://127.0.0.1:9000/up", None, below=400)
    assert list(parsed.warnings) == [
        "services.yaml:2: db: no start command: loopd neither starts nor checks it (as loop-v2)",
        f"services.yaml:5: worker: {NO_PORT}",
        "services.yaml:10: mq: type 'amqp' unknown: checked as tcp (port open)",
        "services.yaml:11: mq: health is ignored for tcp: the check is port open",
        "services.yaml:16: full: unknown key 'restart' ignored"
        " (known: port, health, start, type, required, cwd, env, timeout, depends_on)",
        "services.yaml:14: full: health is a URL, not a path: used as is",
    ]


def test_health_path_type_and_required_oddities(tmp_path: Path) -> None:
    parsed = parse(
        tmp_path,
        "services:\n  web:\n    port: 8080\n    health: healthz\n    start: s\n"
        "    type: HTTPS\n    required: maybe\n  bad:\n    port: web\n    start: s\n"
        "  bare:\n    port: 81\n    health:\n    start: s\n",
    )
    web, bad, bare = parsed.services
    assert bare.health == HttpCheck("http://localhost:81/", None, below=400)
    assert web.health == HttpCheck("https://localhost:8080/healthz", None, below=400)
    assert bad.unchecked == NO_PORT
    assert list(parsed.warnings) == [
        "services.yaml:7: web: required 'maybe' is not true or false (ignored)",
        "services.yaml:4: web: health 'healthz' read as /healthz",
        "services.yaml:9: bad: port 'web' is not a port number",
        f"services.yaml:8: bad: {NO_PORT}",
    ]


def test_both_formats_in_one_file_are_told_apart_per_service(tmp_path: Path) -> None:
    parsed = parse(
        tmp_path,
        "services:\n"
        "  api:\n    start: uvicorn app:api\n    health: {http: 'http://127.0.0.1:8000/'}\n"
        "  web:\n    port: 3000\n    start: npm run dev\n    cwd: frontend\n"
        "    depends_on: [api]\n",
    )
    api, web = parsed.services
    assert api.health == HttpCheck("http://127.0.0.1:8000/", 200)
    assert web.health == HttpCheck("http://localhost:3000/", None, below=400)
    assert web.cwd == tmp_path / "frontend" and web.depends_on == ("api",)
    assert parsed.warnings == ()


def test_yaml_that_loop_v2s_line_reader_could_read(tmp_path: Path) -> None:
    """`start: npm run dev: api` is invalid YAML, but loop-v2 read it line by line."""
    parsed = parse(
        tmp_path,
        "services:\n  api:\n    port: 3001\n    health: /api/health\n"
        "    start: echo a: b && npm run dev:api\n",
    )
    [api] = parsed.services
    assert api.start == "echo a: b && npm run dev:api"
    assert api.health == HttpCheck("http://localhost:3001/api/health", None, below=400)
    [warning] = parsed.warnings
    assert warning.startswith("services.yaml:5: invalid YAML: ")
    assert warning.endswith(": read line by line as loop-v2 did")


def test_yaml_nobody_could_read_is_refused_at_its_line(tmp_path: Path) -> None:
    with pytest.raises(LoopdError) as caught:
        parse(tmp_path, "services:\n  a:\n    compose: [x\n")
    assert caught.value.line == 4 and "invalid YAML" in caught.value.message


def test_a_list_where_loop_v2_wanted_text_is_read_as_written(tmp_path: Path) -> None:
    parsed = parse(tmp_path, "services:\n  api:\n    port: 3001\n    start: [a, b]\n")
    assert parsed.services[0].start == "[a, b]"
    assert parsed.warnings == (
        "services.yaml:4: api.start: written as a YAML list or mapping: read as its text",
    )
