"""Detection: services.yaml, a compose file, loop-v2's npm layout, or nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.services import HttpCheck, detect, start_order
from loopd.services.legacy import BROWSERS
from loopd.sprint import Sprint
from tests.services.conftest import config_for, write_services

V2 = """\
services:
  api:
    port: 3001
    health: /api/health
    start: npm run dev:api
"""
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


def test_loop_v2_backend_and_frontend_scripts(sprint: Sprint) -> None:
    """loop-v2's script names and ports; before, only `npm run dev` on 3000 was started."""
    package(sprint.repo, {"dev:api": "node api.js", "dev:frontend": "vite", "dev": "both"})
    settings = {"services.backend_port": 4001, "services.frontend_port": 4000}
    plan = detect(sprint, config_for(sprint, {**settings, "services.backend_health": "/hz"}))
    assert plan.orchestration == "npm" and plan.source == sprint.repo / "package.json"
    backend, frontend = plan.services
    assert (backend.name, backend.start, backend.cwd) == ("backend", "npm run dev:api", sprint.repo)
    assert backend.health == HttpCheck("http://localhost:4001/hz", None)
    assert backend.timeout == 30 and dict(backend.env) == {}  # no PORT injected
    assert (frontend.name, frontend.start, frontend.timeout) == (
        "frontend",
        "npm run dev:frontend",
        20,
    )
    assert frontend.health == HttpCheck("http://localhost:4000/", None)


@pytest.mark.parametrize(
    ("scripts", "backend"),
    [
        ({"start:api": "a", "dev:backend": "b"}, "npm run dev:backend"),
        ({"start:api": "a", "start": "x"}, "npm run start:api"),
        ({"dev:api": "a", "dev:backend": "b", "start:api": "c"}, "npm run dev:api"),
    ],
)
def test_backend_is_the_first_of_loop_v2s_scripts(
    sprint: Sprint, scripts: dict[str, str], backend: str
) -> None:
    package(sprint.repo, scripts)
    [spec] = detect(sprint, config_for(sprint)).services
    assert (spec.name, spec.start) == ("backend", backend)
    assert spec.health == HttpCheck("http://localhost:3001/api/health", None)


def test_only_dev_api_and_dev_frontend_start_both(sprint: Sprint) -> None:
    """Before, a package.json without a `dev` script started nothing at all."""
    package(sprint.repo, {"dev:api": "node api.js", "dev:frontend": "vite"})
    plan = detect(sprint, config_for(sprint))
    assert [(s.name, s.start) for s in plan.services] == [
        ("backend", "npm run dev:api"),
        ("frontend", "npm run dev:frontend"),
    ]


def test_frontend_folder_runs_npm_run_dev_there(sprint: Sprint) -> None:
    package(sprint.repo, {"dev:api": "node api.js", "dev": "next dev"})
    package(sprint.repo / "frontend", {"dev": "vite"})
    frontend = detect(sprint, config_for(sprint)).get("frontend")
    assert frontend is not None
    assert (frontend.start, frontend.cwd) == ("npm run dev", sprint.repo / "frontend")
    assert frontend.health == HttpCheck("http://localhost:3000/", None)


def test_package_without_loop_v2_scripts_starts_nothing_and_says_so(sprint: Sprint) -> None:
    package(sprint.repo, {"start": "node .", "test": "jest"})
    plan = detect(sprint, config_for(sprint))
    assert plan.orchestration == "none" and not plan.services
    [warning] = plan.warnings
    assert warning.startswith("package.json: none of loop-v2's scripts (dev:api")


def test_browser_only_when_the_vision_needs_one(sprint: Sprint) -> None:
    package(sprint.repo, {"dev": "next dev"})
    assert [s.name for s in detect(sprint, config_for(sprint)).services] == ["frontend"]
    sprint.vision.write_text("# Vision\n\nUsers click through it in a browser (Playwright).\n")
    plan = detect(sprint, config_for(sprint, {"services.browser_port": 9333}))
    names = [s.name for s in plan.services] + [u.name for u in plan.unconfigured]
    assert names == ["frontend", "browser"]
    installed = any(shutil.which(b) for b in BROWSERS)
    assert bool(plan.unconfigured) is not installed
    browser = plan.get("browser")
    assert browser is None or "--remote-debugging-port=9333" in (browser.start or "")


def test_services_yml_is_read_too(sprint: Sprint) -> None:
    (sprint.dir / "services.yml").write_text(V2)
    plan = detect(sprint, config_for(sprint))
    assert plan.orchestration == "services.yaml" and plan.source == sprint.dir / "services.yml"
    assert [s.name for s in plan.services] == ["api"]


def test_services_yaml_wins_over_services_yml(sprint: Sprint) -> None:
    (sprint.dir / "services.yml").write_text(V2)
    write_services(sprint, V2.replace("api:", "web:"))
    assert [s.name for s in detect(sprint, config_for(sprint)).services] == ["web"]


def test_version_v1_forces_the_legacy_npm_path(sprint: Sprint) -> None:
    write_services(sprint, V2)
    (sprint.repo / "docker-compose.yml").write_text(COMPOSE)
    package(sprint.repo, {"dev:api": "node api.js"})
    plan = detect(sprint, config_for(sprint, {"services.version": "v1"}))
    assert plan.orchestration == "npm" and [s.name for s in plan.services] == ["backend"]
    assert plan.warnings == (
        "docs/sprints/s1/services.yaml: ignored: services.version is v1 (legacy npm)",
        "docker-compose.yml: ignored: services.version is v1 (legacy npm)",
    )


def test_version_v1_never_runs_the_makefile(sprint: Sprint) -> None:
    (sprint.repo / "Makefile").write_text("serve:\n\tpython -m http.server\n")
    assert detect(sprint, config_for(sprint, {"services.version": "v1"})).orchestration == "none"


def test_version_v2_goes_in_detect_orchestrations_order(sprint: Sprint) -> None:
    package(sprint.repo, {"dev:api": "node api.js"})
    (sprint.repo / "Makefile").write_text("serve:\n\tpython -m http.server\n")
    v2 = config_for(sprint, {"services.version": "v2"})
    assert detect(sprint, v2).orchestration == "npm"  # package.json before Makefile
    (sprint.repo / "Dockerfile").write_text("FROM scratch\n")
    plan = detect(sprint, v2)
    assert plan.orchestration == "none" and "Dockerfile: loop-v2" in plan.warnings[0]
    assert detect(sprint, config_for(sprint)).orchestration == "npm"  # auto: not a v2 repo


def test_makefile_serve_then_run(sprint: Sprint) -> None:
    makefile = sprint.repo / "Makefile"
    makefile.write_text("build:\n\tcc x.c\n\nrun: build\n\t./a.out\n")
    [run] = detect(sprint, config_for(sprint)).services
    assert (run.name, run.start, run.line, run.cwd) == ("run", "make run", 4, sprint.repo)
    assert run.health is None and run.unchecked is not None
    makefile.write_text(makefile.read_text() + "serve:\n\t./a.out --serve\n")
    plan = detect(sprint, config_for(sprint))
    assert plan.orchestration == "make" and plan.source == makefile
    assert [s.start for s in plan.services] == ["make serve"]


def test_makefile_without_serve_or_run(sprint: Sprint) -> None:
    (sprint.repo / "Makefile").write_text("build:\n\tcc x.c\n# run: is not a target\n")
    assert detect(sprint, config_for(sprint)).orchestration == "none"
