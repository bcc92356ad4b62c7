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
    shutil.copytree(FIXTURES / "npm-app", sprint.repo, dirs_exist_ok=True)
    return sprint.repo


def listen_on(app: Path, port: int) -> None:
    """The app's `dev:api` script names its port, as real apps do (loop-v2 injects no PORT)."""
    package = app / "package.json"
    package.write_text(package.read_text().replace("server.js 3001", f"server.js {port}"))


def test_missing_modules_are_installed_then_it_starts(
    sprint: Sprint, app: Path, make_manager: MakeManager
) -> None:
    port = free_port()
    listen_on(app, port)
    settings = {"services.backend_port": port, "services.backend_health": "/"}
    report = make_manager(settings=settings).start_all()
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
        f"services:\n  api:\n    start: npm run serve\n    health: {http_health(port)}\n",
    )
    api = make_manager(lambda *_: None).start_all().get("api")
    assert api is not None and api.state == "not_configured"
    assert api.evidence.startswith("npm script 'serve' is missing: needs an SVC task")
    assert api.attempts == 1
