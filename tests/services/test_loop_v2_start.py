"""loop-v2's services started for real: its services.yaml, its npm scripts, its Makefile target."""

from __future__ import annotations

import json
import os
import shutil
import sys

from loopd import proc
from loopd.services.legacy import MAKE_UNCHECKED
from loopd.services.v2format import NO_PORT
from loopd.sprint import Sprint
from tests.conftest import need
from tests.services.conftest import (
    LISTENER,
    SERVER,
    MakeManager,
    alive,
    free_port,
    server,
    write_services,
)


def test_loop_v2_services_yaml_starts_and_checks_each_service(
    sprint: Sprint, make_manager: MakeManager
) -> None:
    """Before: `unknown key 'port'` and the run stopped at start_services."""
    api, db = free_port(), free_port()
    write_services(
        sprint,
        f"services:\n"
        f"  api:\n    port: {api}\n    health: /api/health\n    start: {server(api)}\n"
        f"    type: http\n    required: true\n"
        f"  db:\n    port: {db}\n    start: {sys.executable} {LISTENER} {db}\n    type: tcp\n"
        f"  cache:\n    port: 6379\n    type: tcp\n",
    )
    report = make_manager().start_all()
    assert report.orchestration == "services.yaml"
    assert [(s.name, s.state) for s in report.services] == [("api", "started"), ("db", "started")]
    assert f"http://localhost:{api}/api/health answered 200" in report.services[0].evidence
    assert f"localhost:{db} accepts connections" in report.services[1].evidence
    assert report.warnings == (
        "docs/sprints/s1/services.yaml:12: cache: no start command: "
        "loopd neither starts nor checks it (as loop-v2)",
    )


def test_a_service_without_port_is_started_once_and_never_healthy(
    sprint: Sprint, make_manager: MakeManager
) -> None:
    port = free_port()
    write_services(sprint, f"services:\n  worker:\n    start: {server(port)}\n")
    manager = make_manager()
    first = manager.start_all().get("worker")
    assert first is not None and first.state == "failed" and NO_PORT in first.evidence
    [record] = manager.ctx.ledger.records()
    assert alive(record.pid or 0)  # left running, as loop-v2 left it
    again = manager.start_all().get("worker")
    assert again is not None and again.state == "failed" and "still runs" in again.evidence
    assert len(manager.ctx.ledger.records()) == 1  # not started twice
    assert "still runs" in (manager.check().get("worker") or again).evidence
    assert manager.stop_all() == ("worker: stopped its process group",)
    assert not proc.marked(record.token or "")


def test_a_service_without_port_that_crashes_shows_its_log(
    sprint: Sprint, make_manager: MakeManager
) -> None:
    write_services(sprint, f"services:\n  worker:\n    start: {server(1, '--crash', 'boom')}\n")
    worker = make_manager().start_all().get("worker")
    assert worker is not None and worker.state == "failed"
    assert "did not start: exited with code 3" in worker.evidence
    assert "fatal: boom" in worker.evidence


def test_legacy_npm_starts_backend_and_frontend_on_loop_v2_ports(
    sprint: Sprint, make_manager: MakeManager
) -> None:
    """Before: only `npm run dev` on 3000 was started; the dev:api backend never was."""
    need(shutil.which("npm") is not None, "npm is not installed")
    backend, frontend = free_port(), free_port()
    scripts = {"dev:api": server(backend), "dev:frontend": server(frontend)}
    (sprint.repo / "package.json").write_text(json.dumps({"name": "app", "scripts": scripts}))
    settings = {
        "services.backend_port": backend,
        "services.frontend_port": frontend,
        "services.frontend_health": "/ready",
    }
    environ = {k: v for k, v in os.environ.items() if k != "PORT"}
    manager = make_manager(settings=settings)
    manager.ctx.environ = environ
    report = manager.start_all()
    assert report.orchestration == "npm"
    assert [(s.name, s.state) for s in report.services] == [
        ("backend", "started"),
        ("frontend", "started"),
    ]
    assert f"http://localhost:{backend}/api/health answered 200" in report.services[0].evidence
    assert f"http://localhost:{frontend}/ready answered 200" in report.services[1].evidence
    log = report.services[0].log
    assert log is not None and "dev:api" in log.read_text()


def test_makefile_serve_runs_in_the_background(sprint: Sprint, make_manager: MakeManager) -> None:
    need(shutil.which("make") is not None, "make is not installed")
    port = free_port()
    (sprint.repo / "Makefile").write_text(f"build:\n\ttrue\n\nserve:\n\t{server(port)}\n")
    manager = make_manager()
    report = manager.start_all()
    assert report.orchestration == "make"
    [serve] = report.services
    assert serve.name == "serve" and serve.state == "failed" and MAKE_UNCHECKED in serve.evidence
    [record] = manager.ctx.ledger.records()
    assert proc.marked(record.token or "")  # make and its server run on
    assert manager.stop_all() == ("serve: stopped its process group",)


def test_a_start_command_sees_what_loop_v2_had_exported(
    sprint: Sprint, make_manager: MakeManager
) -> None:
    """loop.sh started services from the shell that had sourced loop-config.sh."""
    port = free_port()
    start = f"{sys.executable} {SERVER} --port $LOOP_BACKEND_PORT"
    write_services(
        sprint, f"services:\n  api:\n    port: {port}\n    health: /\n    start: {start}\n"
    )
    report = make_manager(settings={"services.backend_port": port}).start_all()
    assert [(s.name, s.state) for s in report.services] == [("api", "started")]
