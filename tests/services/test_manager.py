"""ServiceManager with real processes: start, health, diagnosis, retries, stop."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.services import ServiceManager, load_report
from loopd.services.ledger import Ledger
from loopd.sprint import Sprint
from tests.services.conftest import (
    LISTENER,
    MakeManager,
    alive,
    declare,
    free_port,
    hold_port,
    http_health,
    server,
    write_services,
)


def started_pids(sprint: Sprint) -> list[int]:
    return [r.pid for r in Ledger(sprint.runtime / "services").records() if r.pid]


def test_declared_http_server_becomes_healthy(sprint: Sprint, make_manager: MakeManager) -> None:
    port = free_port()
    declare(sprint, server(port), port)
    report = make_manager().start_all()
    api = report.get("api")
    assert api is not None and api.state == "started", api
    assert report.all_running and not report.failed
    assert f"http://127.0.0.1:{port}/ answered 200" in api.evidence
    assert api.log == sprint.runtime / "services" / "api.log"
    assert f"listening on {port}" in api.log.read_text()
    [pid] = started_pids(sprint)
    assert alive(pid)


def test_healthy_service_is_left_alone(sprint: Sprint, make_manager: MakeManager) -> None:
    port = free_port()
    declare(sprint, server(port), port)
    make_manager().start_all()
    again = make_manager().start_all().get("api")
    assert again is not None and again.state == "running"
    assert again.evidence.startswith("already healthy")
    assert len(started_pids(sprint)) == 1


def test_report_is_saved_and_loaded(sprint: Sprint, make_manager: MakeManager) -> None:
    port = free_port()
    declare(sprint, server(port), port)
    report = make_manager().start_all()
    assert load_report(sprint) == report
    saved = json.loads((sprint.runtime / "services" / "report.json").read_text())
    assert saved["services"][0]["state"] == "started" and saved["all_running"] is True


def test_port_taken_by_a_foreign_process_names_the_holder(
    sprint: Sprint, make_manager: MakeManager, foreign: object
) -> None:
    port = free_port()
    holder = hold_port(foreign, port)  # type: ignore[arg-type]
    declare(sprint, server(port), port)
    api = make_manager().start_all().get("api")
    assert api is not None and api.state == "failed"
    assert f"port {port} is in use by pid {holder.pid} ({sys.executable} {LISTENER}" in api.evidence
    assert "which loopd did not start" in api.evidence
    assert "Address already in use" in api.evidence  # the log tail
    assert holder.poll() is None, "loopd must not stop a process it did not start"


def test_port_held_by_an_old_service_of_loopd_is_freed(
    sprint: Sprint, make_manager: MakeManager
) -> None:
    port = free_port()
    old = f"{sys.executable} {LISTENER} {port}"
    write_services(
        sprint, f"services:\n  api:\n    start: {old}\n    health: {{tcp: '127.0.0.1:{port}'}}\n"
    )
    assert make_manager().start_all().all_running
    [old_pid] = started_pids(sprint)
    declare(sprint, server(port), port)
    api = make_manager().start_all().get("api")
    assert api is not None and api.state == "started", api.evidence
    assert api.attempts == 2
    assert not alive(old_pid)


def test_crash_at_start_reports_the_log_tail(sprint: Sprint, make_manager: MakeManager) -> None:
    port = free_port()
    crash = server(port, "--crash", "'DATABASE_URL is not set'")
    declare(sprint, crash, port)
    api = make_manager().start_all().get("api")
    assert api is not None and api.state == "failed"
    assert "exited with code 3" in api.evidence
    assert "fatal: DATABASE_URL is not set" in api.evidence
    assert api.attempts == 1  # nothing to fix it with: no blind retries


def test_slow_service_is_waited_for(sprint: Sprint, make_manager: MakeManager) -> None:
    port = free_port()
    declare(sprint, server(port, "--delay", "1"), port)
    api = make_manager().start_all().get("api")
    assert api is not None and api.state == "started", api.evidence


def test_service_too_slow_fails_and_is_stopped(sprint: Sprint, make_manager: MakeManager) -> None:
    port = free_port()
    declare(sprint, server(port, "--delay", "30"), port, "    timeout: 1\n")
    api = make_manager().start_all().get("api")
    assert api is not None and api.state == "failed"
    assert "not healthy after 1s" in api.evidence and "connection refused" in api.evidence
    assert started_pids(sprint) == []


def test_dependency_chain_starts_in_order(
    sprint: Sprint, make_manager: MakeManager, tmp_path: Path
) -> None:
    record = tmp_path / "order.txt"
    ports = {name: free_port() for name in ("web", "api", "db")}
    entries = "".join(
        f"  {name}:\n    start: {server(port, '--record', str(record), '--name', name)}\n"
        f"    health: {http_health(port)}\n" + (f"    depends_on: [{dep}]\n" if dep else "")
        for (name, port), dep in zip(ports.items(), ["api", "db", None], strict=True)
    )
    write_services(sprint, "services:\n" + entries)
    report = make_manager().start_all()
    assert report.all_running
    assert record.read_text().split() == ["db", "api", "web"]
    assert [s.name for s in report.services] == ["web", "api", "db"]  # declaration order


def test_dependents_of_a_failed_service_are_skipped(
    sprint: Sprint, make_manager: MakeManager
) -> None:
    db, api = free_port(), free_port()
    write_services(
        sprint,
        f"services:\n  api:\n    start: {server(api)}\n    health: {http_health(api)}\n"
        "    depends_on: [db]\n"
        f"  db:\n    start: {server(db, '--crash', 'boom')}\n    health: {http_health(db)}\n",
    )
    report = make_manager().start_all()
    states = {s.name: s.state for s in report.services}
    assert states == {"api": "skipped", "db": "failed"}
    assert report.get("api").evidence == "not started: it needs db"  # type: ignore[union-attr]
    assert [s.name for s in report.failed] == ["api", "db"]


def test_dependency_cycle_is_an_error_naming_it(sprint: Sprint, make_manager: MakeManager) -> None:
    path = write_services(
        sprint,
        "services:\n"
        "  a:\n    start: 'true'\n    health: {command: 'true'}\n    depends_on: [b]\n"
        "  b:\n    start: 'true'\n    health: {command: 'true'}\n    depends_on: [a]\n",
    )
    with pytest.raises(LoopdError) as caught:
        make_manager().start_all()
    assert "cycle" in str(caught.value)
    assert caught.value.message.endswith(("a -> b -> a", "b -> a -> b"))
    assert caught.value.path == path


def test_tcp_and_command_health_checks(
    sprint: Sprint, make_manager: MakeManager, tmp_path: Path
) -> None:
    port = free_port()
    flag = tmp_path / "ready"
    write_services(
        sprint,
        "services:\n"
        f"  socket:\n    start: {sys.executable} {LISTENER} {port}\n"
        f"    health: {{tcp: '127.0.0.1:{port}'}}\n"
        f"  worker:\n    start: sleep 0.3 && touch {flag} && exec sleep 60\n"
        f"    health: {{command: 'test -f {flag}'}}\n",
    )
    report = make_manager().start_all()
    assert [s.state for s in report.services] == ["started", "started"], report
    assert f"127.0.0.1:{port} accepts connections" in report.services[0].evidence
    assert f"command `test -f {flag}` exited 0" in report.services[1].evidence


def test_unknown_failure_goes_to_the_fixer_then_retries(
    sprint: Sprint, make_manager: MakeManager, tmp_path: Path
) -> None:
    port, needed = free_port(), tmp_path / "settings.json"
    declare(sprint, server(port, "--require", str(needed)), port)
    calls: list[tuple[str, str]] = []

    def fix(name: str, evidence: str) -> None:
        calls.append((name, evidence))
        needed.write_text("{}")

    api = make_manager(fix).start_all().get("api")
    assert api is not None and api.state == "started", api.evidence
    assert api.attempts == 2
    [(name, evidence)] = calls
    assert name == "api" and f"fatal: {needed} is missing" in evidence


def test_attempts_per_service_are_capped(sprint: Sprint, make_manager: MakeManager) -> None:
    port = free_port()
    declare(sprint, server(port, "--crash", "always"), port)
    calls: list[str] = []
    manager = make_manager(
        lambda name, _: calls.append(name), {"limits.max_service_check_attempts": 2}
    )
    api = manager.start_all().get("api")
    assert api is not None and api.state == "failed" and api.attempts == 2
    assert calls == ["api"]  # no fix after the last attempt: nothing would check it
    assert "fatal: always" in api.evidence


def test_total_failures_are_capped(sprint: Sprint, make_manager: MakeManager) -> None:
    one, two = free_port(), free_port()
    write_services(
        sprint,
        f"services:\n  one:\n    start: {server(one, '--crash', 'x')}\n"
        f"    health: {http_health(one)}\n"
        f"  two:\n    start: {server(two)}\n    health: {http_health(two)}\n",
    )
    manager = make_manager(lambda *_: None, {"limits.max_total_service_failures": 1})
    report = manager.start_all()
    two_status = report.get("two")
    assert two_status is not None and two_status.state == "failed"
    assert two_status.attempts == 0
    assert "limits.max_total_service_failures = 1" in two_status.evidence


def test_check_starts_nothing(sprint: Sprint, make_manager: MakeManager) -> None:
    port = free_port()
    declare(sprint, server(port), port)
    report = make_manager().check()
    api = report.get("api")
    assert api is not None and api.state == "failed" and api.log is None
    assert "connection refused" in api.evidence
    assert started_pids(sprint) == [] and report.action == "check"


def test_stop_all_stops_only_what_loopd_started(
    sprint: Sprint, make_manager: MakeManager, foreign: object, tmp_path: Path
) -> None:
    port = free_port()
    pidfile = tmp_path / "escaped.pid"
    # The service starts a helper in a session of its own: outside its process group.
    start = f"setsid sh -c 'echo $$ > {pidfile}; exec sleep 300' & exec {server(port)}"
    declare(sprint, start, port)
    bystander = foreign("sleep", "300")  # type: ignore[operator]
    manager = make_manager()
    assert manager.start_all().all_running
    [pid] = started_pids(sprint)
    escaped = int(pidfile.read_text())
    # A new manager, as `loopd services down` in another process would be.
    stopped = ServiceManager(sprint, manager.config, escalation=manager.ctx.escalation).stop_all()
    assert stopped == ("api: stopped its process group",)
    assert not alive(pid) and not alive(escaped)
    assert bystander.poll() is None
    assert started_pids(sprint) == []
    assert manager.check().get("api").state == "failed"  # type: ignore[union-attr]


def test_nothing_to_start(sprint: Sprint, make_manager: MakeManager) -> None:
    report = make_manager().start_all()
    assert report.orchestration == "none"
    assert report.services == () and report.all_running
