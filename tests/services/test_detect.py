"""Detection: services.yaml, a compose file, loop-v2's npm layout, or nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.services import HttpCheck, detect, start_order
from loopd.services.detect import BROWSERS
from loopd.sprint import Sprint
from tests.services.conftest import config_for, write_services

COMPOSE = """\
services:
  web:
    image: nginx
    depends_on: [db]
  db:
    image: postgres
"""


def package(folder: Path, scripts: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": folder.name, "scripts": scripts}))


def test_nothing_to_start(sprint: Sprint) -> None:
    assert detect(sprint, config_for(sprint)).orchestration == "none"


def test_compose_file_in_sprint_dir_wins_over_the_repos(sprint: Sprint) -> None:
    (sprint.repo / "compose.yaml").write_text("services: {other: {image: x}}\n")
    (sprint.dir / "docker-compose.yml").write_text(COMPOSE)
    plan = detect(sprint, config_for(sprint))
    assert (
        plan.orchestration == "compose" and plan.compose_file == sprint.dir / "docker-compose.yml"
    )
    assert [s.name for s in start_order(plan)] == ["db", "web"]
    assert {s.kind for s in plan.services} == {"compose"}


def test_compose_file_in_the_repo(sprint: Sprint) -> None:
    (sprint.repo / "compose.yml").write_text(COMPOSE)
    plan = detect(sprint, config_for(sprint))
    assert plan.compose_file == sprint.repo / "compose.yml"


def test_services_yaml_wins_and_uses_the_compose_file(sprint: Sprint) -> None:
    (sprint.repo / "docker-compose.yaml").write_text(COMPOSE)
    write_services(sprint, "services:\n  db:\n    compose: db\n")
    plan = detect(sprint, config_for(sprint))
    assert plan.orchestration == "services.yaml" and plan.source == sprint.services_yaml
    assert plan.compose_file == sprint.repo / "docker-compose.yaml"
    assert [s.name for s in plan.services] == ["db"]


def test_compose_service_without_a_compose_file(sprint: Sprint) -> None:
    write_services(
        sprint,
        "services:\n  api:\n    start: x\n    health: {tcp: 'h:1'}\n  db:\n    compose: db\n",
    )
    with pytest.raises(LoopdError) as caught:
        detect(sprint, config_for(sprint))
    assert caught.value.line == 5 and "no compose file" in caught.value.message


def test_missing_compose_file_named_in_services_yaml(sprint: Sprint) -> None:
    write_services(sprint, "compose_file: nope.yml\nservices:\n  db:\n    compose: db\n")
    with pytest.raises(LoopdError) as caught:
        detect(sprint, config_for(sprint))
    assert caught.value.line == 1 and "does not exist" in caught.value.message


def test_loop_v2_backend_and_frontend(sprint: Sprint) -> None:
    package(sprint.repo / "backend", {"dev": "node server.js", "start": "node ."})
    package(sprint.repo / "frontend", {"start": "vite"})
    settings = {"services.backend_port": 4001, "services.frontend_port": 4000}
    plan = detect(sprint, config_for(sprint, settings))
    assert plan.orchestration == "npm"
    backend, frontend = plan.services
    assert (backend.name, backend.start, backend.cwd) == (
        "backend",
        "npm run dev",
        sprint.repo / "backend",
    )
    assert dict(backend.env) == {"PORT": "4001"}
    assert backend.health == HttpCheck("http://localhost:4001/", None)
    assert (frontend.start, frontend.port) == ("npm run start", 4000)


def test_package_without_scripts_needs_an_svc_task(sprint: Sprint) -> None:
    package(sprint.repo / "backend", {"dev": "node server.js"})
    package(sprint.repo / "frontend", {"test": "jest"})
    plan = detect(sprint, config_for(sprint))
    assert [s.name for s in plan.services] == ["backend"]
    [missing] = plan.unconfigured
    assert missing.name == "frontend" and "needs an SVC task" in missing.reason


def test_root_package_json(sprint: Sprint) -> None:
    package(sprint.repo, {"dev": "next dev"})
    plan = detect(sprint, config_for(sprint))
    [app] = plan.services
    assert (app.name, app.cwd, app.port) == ("app", sprint.repo, 3000)


def test_browser_only_when_the_vision_needs_one(sprint: Sprint) -> None:
    package(sprint.repo, {"dev": "next dev"})
    assert [s.name for s in detect(sprint, config_for(sprint)).services] == ["app"]
    sprint.vision.write_text("# Vision\n\nUsers click through it in a browser (Playwright).\n")
    plan = detect(sprint, config_for(sprint))
    names = [s.name for s in plan.services] + [u.name for u in plan.unconfigured]
    assert names == ["app", "browser"]
    installed = any(shutil.which(b) for b in BROWSERS)
    assert bool(plan.unconfigured) is not installed
