"""``loopd services SPRINT up|down|status``: the command function, with real services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopd.commands.services import NOTHING, services
from loopd.errors import LoopdError
from loopd.sprint import Sprint, locate
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
    (sprint_dir / "services.yaml").write_text("services:\n  api:\n    start: x\n    health: 1\n")
    with pytest.raises(LoopdError) as caught:
        run(repo, "up")
    assert str(caught.value).startswith(f"{sprint_dir / 'services.yaml'}:4: api.health must be")
    assert not (repo / ".loopd").exists()
