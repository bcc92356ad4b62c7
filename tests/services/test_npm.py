"""loop-v2's npm services with the real npm: MODULE_NOT_FOUND is fixed by npm install."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from loopd.sprint import Sprint
from tests.conftest import need
from tests.services.conftest import FIXTURES, MakeManager, free_port, http_health, write_services


@pytest.fixture
def app(sprint: Sprint) -> Path:
    need(shutil.which("npm") is not None, "npm is not installed")
    target = sprint.repo / "backend"
    shutil.copytree(FIXTURES / "npm-app", target)
    return target


def test_missing_modules_are_installed_then_it_starts(
    sprint: Sprint, app: Path, make_manager: MakeManager
) -> None:
    port = free_port()
    report = make_manager(settings={"services.backend_port": port}).start_all()
    assert report.orchestration == "npm"
    backend = report.get("backend")
    assert backend is not None and backend.state == "started", backend.evidence
    assert backend.attempts == 2
    assert (app / "node_modules" / "greeting").exists()  # npm install ran in the service's cwd
    assert "MODULE_NOT_FOUND" in backend.log.read_text()  # type: ignore[union-attr]
    assert f"listening on {port}" in backend.log.read_text()  # type: ignore[union-attr]


def test_missing_script_needs_an_svc_task(
    sprint: Sprint, app: Path, make_manager: MakeManager
) -> None:
    port = free_port()
    write_services(
        sprint,
        f"services:\n  api:\n    start: npm run serve\n    cwd: backend\n"
        f"    health: {http_health(port)}\n",
    )
    api = make_manager(lambda *_: None).start_all().get("api")
    assert api is not None and api.state == "not_configured"
    assert api.evidence.startswith("npm script 'serve' is missing: needs an SVC task")
    assert api.attempts == 1
