"""Regression checks: by command in parallel, agents only for spot checks (or loop-v2's way)."""

from __future__ import annotations

import random
from pathlib import Path

from loopd.checklist import Status
from loopd.testengine import EvidenceTestEngine, regression
from tests.testengine.support import Project, check, config_for, context, make_project
from tests.testengine.test_rounds import plan_of

RUNNER_PASS = {
    "name": "runner",
    "when": {"prompt": "test-runner"},
    "do": [{"print": "RESULT: PASS\nEVIDENCE: still fine"}],
}


def passing_project(repo: Path, sprint_dir: Path) -> Project:
    tests = [
        f"- [x] **BT-001**: users {check('users')}",
        "- [x] **BT-002**: the page looks right",
        f"- [x] **BT-003**: orders {check('orders')}",
        "- [x] **BT-004**: the email reads well",
        "- [x] **BT-005**: the chart is clear",
    ]
    project = make_project(repo, sprint_dir, plan_of(tests))
    project.rules([RUNNER_PASS])
    return project


def test_a_completion_sweep_runs_commands_and_spot_checks_agent_tests(
    repo: Path, sprint_dir: Path
) -> None:
    project = passing_project(repo, sprint_dir)
    config = config_for(project, limits__spot_check_count=1)

    outcome = EvidenceTestEngine().sweep(context(project, config), "completion")

    assert outcome.checked == 3 and outcome.regressions == ()
    calls = project.agent_calls()
    assert [c["role"] for c in calls] == ["regression"]
    log = project.sprint.regression_log.read_text()
    assert "completion check" in log and "- Checked: 3 (2 cmd, 1 agent)" in log
    assert "- Regressions: none" in log
    unchecked = {"BT-002", "BT-004", "BT-005"} - {calls[0]["test"]}
    assert all(test in log.split("Not checked", 1)[1] for test in unchecked)


def test_the_spot_sample_follows_the_seed(repo: Path, sprint_dir: Path) -> None:
    project = passing_project(repo, sprint_dir)
    ctx = context(project, config_for(project, limits__spot_check_count=1))

    def sampled(seed: int) -> list[str]:
        session = EvidenceTestEngine(random.Random(seed)).session(ctx)
        chosen, _ = regression.choose(session, "spot")
        return [c.item.id for c in chosen if c.how == "agent"]

    assert sampled(3) == sampled(3)
    assert {t for seed in range(30) for t in sampled(seed)} == {"BT-002", "BT-004", "BT-005"}
    assert all(len(sampled(seed)) == 1 for seed in range(5))


def test_an_on_demand_check_never_calls_an_agent(repo: Path, sprint_dir: Path) -> None:
    project = passing_project(repo, sprint_dir)
    config = config_for(project, policy__agent_regression=True)

    outcome = EvidenceTestEngine().sweep(context(project, config), "manual")

    assert outcome.checked == 2
    assert project.agent_calls() == []


def test_agent_regression_checks_every_passing_test_through_the_agent(
    repo: Path, sprint_dir: Path
) -> None:
    project = passing_project(repo, sprint_dir)
    config = config_for(project, policy__agent_regression=True)

    outcome = EvidenceTestEngine().sweep(context(project, config), "interval")

    assert outcome.checked == 5
    assert [c["test"] for c in project.agent_calls("regression")] == [
        f"BT-00{n}" for n in range(1, 6)
    ]


def test_a_regression_reopens_the_test_and_keeps_the_old_log(repo: Path, sprint_dir: Path) -> None:
    project = passing_project(repo, sprint_dir)
    old_log = "# Regression log\n\nWritten by loop-v2 on 2025-01-01: 3 checked.\n"
    project.sprint.regression_log.write_text(old_log)
    (repo / "settings.json").write_text('{"auth": "expired", "currency": "EUR"}\n')

    outcome = EvidenceTestEngine().sweep(context(project, config_for(project)), "interval")

    assert outcome.regressions == ("BT-001", "BT-003")
    assert project.status("BT-001") is Status.PENDING
    assert project.status("BT-002") is Status.DONE, "an agent test is not checked on interval"
    log = project.sprint.regression_log.read_text()
    assert log.startswith(old_log)
    assert "- Regressions: 2" in log and "**BT-003**: GET /api/orders returned 401" in log
    task = project.plan().get("REG-BT-003")
    assert task is not None and "interval check at" in task.text
    assert project.log()[0].startswith("loopd(regression): interval regression check")


def test_command_checks_run_side_by_side(repo: Path, sprint_dir: Path) -> None:
    # Each check waits for the other to have started: they pass only when run together.
    wait = "touch {me}; for i in $(seq 100); do test -f {other} && exit 0; sleep 0.1; done; exit 1"
    tests = [
        f'- [x] **BT-001**: a *(cmd: "{wait.format(me="a.flag", other="b.flag")}")*',
        f'- [x] **BT-002**: b *(cmd: "{wait.format(me="b.flag", other="a.flag")}")*',
    ]
    project = make_project(repo, sprint_dir, plan_of(tests))
    config = config_for(project, limits__regression_parallelism=2)

    outcome = EvidenceTestEngine().sweep(context(project, config), "manual")

    assert outcome.checked == 2 and outcome.regressions == ()


def test_a_round_ends_with_a_spot_check_when_the_dice_say_so(repo: Path, sprint_dir: Path) -> None:
    tests = [f"- [x] **BT-001**: users {check('users')}", f"- [ ] **BT-002**: {check('items')}"]
    project = make_project(repo, sprint_dir, plan_of(tests))
    config = config_for(project, limits__spot_check_probability=100)

    EvidenceTestEngine().iteration(context(project, config))

    log = project.sprint.regression_log.read_text()
    assert "spot check" in log and "- Checked: 2 (2 cmd)" in log


def test_a_watch_check_runs_commands_only_the_last_failed_first(
    repo: Path, sprint_dir: Path
) -> None:
    project = passing_project(repo, sprint_dir)
    config = config_for(project, policy__agent_regression=True)
    ctx = context(project, config)
    # BT-003 failed more recently than BT-001.
    for test_id in ("BT-001", "BT-003"):
        ctx.events.append("test", test_id=test_id, verdict="FAIL", trigger="test")
    session = EvidenceTestEngine().session(ctx)

    chosen, unchecked = regression.choose(session, "watch")

    assert [c.item.id for c in chosen] == ["BT-003", "BT-001"]
    assert sorted(unchecked) == ["BT-002", "BT-004", "BT-005"]
    assert EvidenceTestEngine().sweep(ctx, "watch").checked == 2
    assert project.agent_calls() == []
