"""``loopd regression``: re-check passing tests by command, on demand, with no agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopd import daemon
from loopd.checklist import Status
from loopd.commands.regression import regression
from loopd.errors import LoopdError
from tests.cli import run_cli
from tests.testengine.support import check, make_project, settings
from tests.testengine.test_rounds import plan_of

TESTS = [
    f"- [x] **BT-001**: users {check('users')}",
    f"- [x] **BT-002**: orders {check('orders')}",
    "- [x] **BT-003**: the page looks right",
    f"- [ ] **BT-004**: not passing yet {check('items')}",
]


def run(repo: Path, capsys: pytest.CaptureFixture[str], *, as_json: bool) -> tuple[int, str]:
    code = regression(repo=repo, sprints_root="docs/sprints", sprint="s1", as_json=as_json)
    return code, capsys.readouterr().out


def test_all_still_passing_exits_0_and_commits_nothing(
    repo: Path, sprint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(repo, sprint_dir, plan_of(TESTS))
    commits = project.log()

    code, out = run(repo, capsys, as_json=False)

    assert code == 0
    assert "BT-001" in out and "BT-002" in out and "BT-004" not in out.split("not checked")[0]
    assert "not checked (agent-only): BT-003" in out
    assert "2 checked, 0 regression(s)" in out
    assert project.log() == commits
    assert "manual check" in project.sprint.regression_log.read_text()


def test_a_regression_exits_1_and_reopens_the_test(
    repo: Path, sprint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(repo, sprint_dir, plan_of(TESTS))
    (repo / "settings.json").write_text(settings(currency=False))

    code, out = run(repo, capsys, as_json=True)

    assert code == 1
    report = json.loads(out)
    assert report["regressions"] == ["BT-002"]
    assert [c["id"] for c in report["checked"]] == ["BT-001", "BT-002"]
    regressed = report["checked"][1]
    assert regressed["short"] == "orders: missing currency field in the order total"
    assert (repo / regressed["evidence"]).is_file()
    assert report["unchecked"] == ["BT-003"]
    assert project.status("BT-002") is Status.PENDING
    assert project.plan().get("REG-BT-002") is not None


def test_an_unknown_sprint_is_a_clear_error(repo: Path) -> None:
    with pytest.raises(LoopdError):
        regression(repo=repo, sprints_root="docs/sprints", sprint="nope", as_json=False)


def test_a_running_loop_is_not_raced(repo: Path, sprint_dir: Path) -> None:
    project = make_project(repo, sprint_dir, plan_of(TESTS))

    with daemon.hold(project.sprint), pytest.raises(LoopdError, match="is running"):
        regression(repo=repo, sprints_root="docs/sprints", sprint="s1", as_json=False)

    assert not project.sprint.regression_log.exists()


def test_the_cli_runs_it(repo: Path, sprint_dir: Path) -> None:
    make_project(repo, sprint_dir, plan_of(TESTS))
    (repo / "settings.json").write_text(settings(auth="expired"))

    result = run_cli(repo, "regression", "s1", "--json")

    assert result.code == 1
    assert json.loads(result.out)["regressions"] == ["BT-001", "BT-002"]
