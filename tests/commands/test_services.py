"""``loopd services SPRINT up|down|status``: the command function, with real services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopd.commands.services import NOTHING, services
from loopd.errors import LoopdError
from loopd.sprint import Sprint, locate
from tests.cli import run_cli
from tests.integration.sprints import install, loopd, notes
from tests.services.conftest import declare, free_port, server


def the_sprint(repo: Path) -> Sprint:
    return locate(repo, "docs/sprints", "s1")


@pytest.fixture
def port(repo: Path, sprint_dir: Path) -> Iterator[int]:
    """A port for the sprint's one service; whatever `up` started is taken down after."""
    chosen = free_port()
    yield chosen
    services(repo=repo, sprints_root="docs/sprints", sprint="s1", action="down", as_json=False)


def run(repo: Path, action: str, as_json: bool = False) -> int:
    return services(
        repo=repo,
        sprints_root="docs/sprints",
        sprint="s1",
        action=action,
        as_json=as_json,  # type: ignore[arg-type]
    )


def test_up_status_down(
    repo: Path, sprint_dir: Path, port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    declare(the_sprint(repo), server(port), port)
    assert run(repo, "up") == 0
    out = capsys.readouterr().out
    assert out.startswith("services.yaml  (docs/sprints/s1/services.yaml)\n")
    assert f"api  started        healthy: http://127.0.0.1:{port}/ answered 200" in out
    assert "log: .loopd/s1/services/api.log" in out
    assert run(repo, "status") == 0
    assert "api  running" in capsys.readouterr().out
    assert run(repo, "down") == 0
    assert capsys.readouterr().out == "api: stopped its process group\n"
    assert run(repo, "status") == 1
    assert "api  failed         not healthy:" in capsys.readouterr().out
    assert run(repo, "down") == 0
    assert "nothing to stop" in capsys.readouterr().out


def test_up_exits_1_and_shows_the_evidence(
    repo: Path, sprint_dir: Path, port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    declare(the_sprint(repo), server(port, "--crash", "'no secret key'"), port)
    assert run(repo, "up") == 1
    out = capsys.readouterr().out
    assert "api  failed         did not come up: exited with code 3" in out
    assert "     fatal: no secret key" in out


def test_up_json(
    repo: Path, sprint_dir: Path, port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    declare(the_sprint(repo), server(port), port)
    assert run(repo, "up", as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["all_running"] is True and data["action"] == "start"
    assert data["services"][0]["name"] == "api" and data["services"][0]["state"] == "started"
    assert run(repo, "down", as_json=True) == 0
    assert json.loads(capsys.readouterr().out) == {"stopped": ["api: stopped its process group"]}


def test_nothing_to_start(repo: Path, sprint_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(repo, "up") == 0
    assert capsys.readouterr().out == NOTHING + "\n"


def test_bad_services_yaml_changes_nothing(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "services.yaml").write_text(
        "services:\n  api:\n    start: x\n    health: {http: 'ftp://x'}\n"
    )
    with pytest.raises(LoopdError) as caught:
        run(repo, "up")
    assert str(caught.value).startswith(f"{sprint_dir / 'services.yaml'}:4: api.health.http: ")
    assert not (repo / ".loopd").exists()


def _doctor(repo: Path) -> tuple[list[dict[str, object]], list[str]]:
    result = run_cli(repo, "doctor", "s1", "--json")
    data = json.loads(result.out)
    checks = [c for c in data["checks"] if str(c["name"]).startswith("services")]
    return checks, data["warnings"]


def test_doctor_and_run_agree_on_a_loop_v2_services_yaml(repo: Path) -> None:
    """Before: doctor said ok while `loopd run` stopped at start_services (`unknown key 'port'`)."""
    sprint = install(repo, "greeter")
    port = free_port()
    (sprint / "services.yaml").write_text(
        f"services:\n  api:\n    port: {port}\n    health: /api/health\n"
        f"    start: {server(port)}\n    type: http\n    required: true\n"
        f"  db:\n    port: 5432\n    type: tcp\n"
    )
    warning = "docs/sprints/s1/services.yaml:8: db: no start command: "
    [services_check], warnings = _doctor(repo)
    assert services_check["ok"] is True
    assert services_check["detail"] == "services.yaml (docs/sprints/s1/services.yaml): api"
    assert next(w for w in warnings if "services.yaml" in w).startswith(warning)

    done = loopd(repo, "run", "s1", "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    assert any(n.startswith(f"warning: {warning}") for n in notes(repo))
    report = json.loads((repo / ".loopd/s1/services/report.json").read_text())
    assert [(s["name"], s["state"]) for s in report["services"]] == [("api", "running")]


def test_doctor_refuses_what_run_refuses_with_the_same_line(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "services.yaml").write_text("services:\n  db:\n    compose: postgres\n")
    [check], _ = _doctor(repo)
    assert check["status"] == "MISSING"
    with pytest.raises(LoopdError) as caught:
        run(repo, "status")
    assert check["detail"] == caught.value.located
    assert "docs/sprints/s1/services.yaml:2: db: compose service but no compose file" in str(
        check["detail"]
    )


def test_status_prints_each_warning_first(
    repo: Path, sprint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sprint_dir / "services.yml").write_text("services:\n  db:\n    port: 5432\n    type: tcp\n")
    assert run(repo, "status") == 0
    assert capsys.readouterr().out == (
        "warning: docs/sprints/s1/services.yml:2: db: no start command: "
        "loopd neither starts nor checks it (as loop-v2)\n"
        "services.yaml  (docs/sprints/s1/services.yml)\n"
    )
