"""Test rounds end to end: real commands in a fixture repo, the replay agent, real git."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loopd.checklist import Status
from loopd.state import load_state
from loopd.testengine import EvidenceTestEngine
from tests.testengine.support import (
    PY,
    Project,
    check,
    config_for,
    context,
    make_project,
    settings,
    write_settings_action,
)

FIXED_TOTAL = "def total(xs):\n    return sum(xs)\n"
RESOURCES = ("users", "orders", "items", "carts", "invoices")


def plan_of(tests: list[str]) -> str:
    return "# Beta test plan\n\n" + "".join(f"{line}\n" for line in tests)


def api_tests(resources: tuple[str, ...] = RESOURCES) -> str:
    return plan_of(
        [
            f"- [ ] **BT-00{n}**: GET /api/{name} answers a signed-in user {check(name)}"
            for n, name in enumerate(resources, start=1)
        ]
    )


def test_five_tests_failing_on_one_401_get_one_fixer_and_all_pass(
    repo: Path, sprint_dir: Path
) -> None:
    project = make_project(repo, sprint_dir, api_tests())
    (repo / "settings.json").write_text(settings(auth="broken"))
    project.rules(
        [
            {
                "name": "fix-auth",
                "when": {"prompt": "fix", "contains": "401 Unauthorized"},
                "do": [write_settings_action(), {"print": "Root cause: auth was off. Fixed."}],
            }
        ]
    )
    ctx = context(project, config_for(project))

    result = EvidenceTestEngine().iteration(ctx)

    assert [c["role"] for c in project.agent_calls()] == ["fix"]
    assert all(project.status(f"BT-00{n}") is Status.DONE for n in range(1, 6))
    assert result.outcome == "done"
    assert result.reason == "test round: 5 test(s) checked, 1 fix(es), 5 passed"
    prompt = project.prompts("fix")[0]
    assert all(f"**BT-00{n}**" in prompt for n in range(2, 6)), "the cluster's other tests"
    assert "GET /api/users returned 401 Unauthorized" in prompt
    subjects = project.log()
    assert any("BT-001 passes after FIX-BT-001" in s for s in subjects)
    fix_task = project.plan().get("FIX-BT-001")
    assert fix_task is not None and fix_task.status is Status.DONE
    assert "401 Unauthorized" in fix_task.text
    state = load_state(project.sprint.state_file)
    assert not state.evidence and not any(state.test_attempts.values())


def orders_project(repo: Path, sprint_dir: Path) -> Project:
    project = make_project(
        repo, sprint_dir, plan_of([f"- [ ] **BT-001**: an order shows its total {check('orders')}"])
    )
    (repo / "settings.json").write_text(settings(currency=False))
    project.rules(
        [
            {
                "name": "fix-with-evidence",
                "when": {"prompt": "fix", "contains": "missing currency field"},
                "do": [write_settings_action(), {"print": "Added the currency."}],
            },
            {
                "name": "fix-blind",
                "when": {"prompt": "fix"},
                "do": [{"print": "I could not tell what is wrong; changed nothing."}],
            },
        ]
    )
    return project


def test_a_fixer_that_needs_the_evidence_gets_it(repo: Path, sprint_dir: Path) -> None:
    project = orders_project(repo, sprint_dir)
    ctx = context(project, config_for(project))

    EvidenceTestEngine().iteration(ctx)

    assert project.status("BT-001") is Status.DONE
    assert len(project.agent_calls("fix")) == 1


def test_withheld_evidence_leaves_the_fixer_blind_until_the_test_is_blocked(
    repo: Path, sprint_dir: Path
) -> None:
    project = orders_project(repo, sprint_dir)
    config = config_for(project, policy__withhold_evidence=True, limits__max_test_fix_attempts=3)
    ctx = context(project, config)

    EvidenceTestEngine().iteration(ctx)

    assert project.status("BT-001") is Status.BLOCKED
    prompts = project.prompts("fix")
    assert len(prompts) == 2
    assert not any("missing currency field" in p for p in prompts)
    assert not any("Earlier attempts" in p for p in prompts)
    fix_task = project.plan().get("FIX-BT-001")
    assert fix_task is not None and fix_task.status is Status.BLOCKED


def test_a_second_fix_sees_what_the_first_changed_even_after_a_restart(
    repo: Path, sprint_dir: Path
) -> None:
    project = orders_project(repo, sprint_dir)
    project.rules(
        [
            {
                "name": "wrong-fix",
                "when": {"prompt": "fix"},
                "times": 1,
                "do": [
                    {"write": {"path": "notes.txt", "content": "tried a cache\n"}},
                    {"print": "Summary: I suspected the cache and added notes.txt."},
                ],
            },
            {
                "name": "right-fix",
                "when": {"prompt": "fix", "contains": "suspected the cache"},
                "do": [write_settings_action(), {"print": "The currency was missing."}],
            },
        ]
    )
    config = config_for(project, limits__max_test_fix_attempts=5)
    # The budget stops the loop at the second fix: the history must come back from disk.
    stopped = context(project, config_for(project, budgets__max_agent_calls=1))
    try:
        EvidenceTestEngine().iteration(stopped)
    except Exception as exc:  # StopLoop from the budget
        assert "budget" in str(exc)
    assert project.status("BT-001") is Status.PENDING

    EvidenceTestEngine().iteration(context(project, config))

    assert project.status("BT-001") is Status.DONE
    second = project.prompts("fix")[-1]
    assert "### Attempt 1" in second
    assert "notes.txt" in second, "the diff stat of the first attempt"
    assert "I suspected the cache" in second, "the first fixer's own summary"
    assert "missing currency field" in second.split("### Attempt 1", 1)[1], "observed after"


def test_a_fix_that_breaks_a_passing_test_is_caught_by_regression_and_fixed(
    repo: Path, sprint_dir: Path
) -> None:
    tests = [
        f"- [ ] **BT-001**: users are listed {check('users')}",
        f'- [ ] **BT-002**: totals add up *(cmd: "{check_total()}")*',
    ]
    project = make_project(repo, sprint_dir, plan_of(tests))
    (repo / "calc.py").write_text("def total(xs):\n    return sum(xs) + 1\n")
    project.rules(
        [
            {
                "name": "fix-total-breaks-auth",
                "when": {"prompt": "fix", "test": "BT-002"},
                "do": [
                    {"write": {"path": "calc.py", "content": FIXED_TOTAL}},
                    write_settings_action(auth="refactored"),
                    {"print": "Fixed total(); also refactored the auth settings."},
                ],
            },
            {
                "name": "fix-auth",
                "when": {"prompt": "fix", "test": "BT-001", "contains": "401 Unauthorized"},
                "do": [write_settings_action(), {"print": "Restored auth."}],
            },
        ]
    )
    config = config_for(project, limits__regression_check_interval=1)
    engine = EvidenceTestEngine()

    first = engine.iteration(context(project, config))
    assert first.outcome == "continue"
    assert project.status("BT-001") is Status.PENDING, "reset by the interval regression check"
    reg = project.plan().get("REG-BT-001")
    assert reg is not None and "401 Unauthorized" in reg.text

    second = engine.iteration(context(project, config))

    assert second.outcome == "done"
    assert project.status("BT-001") is Status.DONE and project.status("BT-002") is Status.DONE
    reg = project.plan().get("REG-BT-001")
    assert reg is not None and reg.status is Status.DONE
    log = project.sprint.regression_log.read_text()
    assert log.count("interval check") == 2
    assert "**BT-001**" in log and "401 Unauthorized" in log
    assert [c["role"] for c in project.agent_calls()] == ["fix", "fix"], "no agent regression"
    assert any("regression check" in s for s in project.log())


def check_total() -> str:
    return f"{PY} -c 'import calc; assert calc.total([1, 2]) == 3, calc.total([1, 2])'"


def test_a_test_that_hangs_is_stopped_and_recorded_as_a_timeout(
    repo: Path, sprint_dir: Path
) -> None:
    project = make_project(
        repo, sprint_dir, plan_of(['- [ ] **BT-001**: export finishes *(cmd: "sleep 60")*'])
    )
    project.rules([{"name": "fix", "when": {"prompt": "fix"}, "do": [{"print": "no idea"}]}])
    config = config_for(project, timeouts__test=0.5, limits__max_test_fix_attempts=2)

    EvidenceTestEngine().iteration(context(project, config))

    assert project.status("BT-001") is Status.BLOCKED
    records = evidence_files(project)
    assert len(records) == 2
    assert all(r["timed_out"] and r["verdict"] == "FAIL" for r in records)
    assert all(str(r["signature"]).startswith("Timeout") for r in records)
    assert "timed out after" in project.prompts("fix")[0]
    task = project.plan().get("FIX-BT-001")
    assert task is not None and "timed out after" in task.text
    refs = load_state(project.sprint.state_file).evidence["BT-001"]
    assert [r["path"] for r in records] == [r for r in refs if r.endswith(".evidence.json")]


def test_an_agent_test_teaches_loopd_its_repro_command(repo: Path, sprint_dir: Path) -> None:
    project = make_project(
        repo, sprint_dir, plan_of(["- [ ] **BT-001**: the greeting is friendly"])
    )
    (repo / "greet.py").write_text("def greet():\n    return 'hello'\n")
    repro = f"{PY} -c 'import greet; assert greet.greet() == \"hello\"'"
    project.rules(
        [
            {
                "name": "runner",
                "when": {"prompt": "test-runner", "test": "BT-001"},
                "do": [
                    {
                        "print": "Ran it.\nRESULT: PASS\nEVIDENCE: greet() returned 'hello'\n"
                        f"REPRO: {repro}"
                    }
                ],
            }
        ]
    )
    config = config_for(project)
    engine = EvidenceTestEngine()

    engine.iteration(context(project, config))
    assert project.status("BT-001") is Status.DONE
    assert load_state(project.sprint.state_file).test_commands == {"BT-001": repro}
    calls = len(project.agent_calls())

    (repo / "greet.py").write_text("def greet():\n    return 'hi'\n")
    outcome = engine.sweep(context(project, config), "completion")

    assert outcome.regressions == ("BT-001",)
    assert len(project.agent_calls()) == calls, "the learned command, not the agent"
    assert project.status("BT-001") is Status.PENDING
    assert "1 repro" in project.sprint.regression_log.read_text()


def evidence_files(project: Project) -> list[dict[str, object]]:
    runs = project.sprint.runtime / "runs"
    return [json.loads(p.read_text()) for p in sorted(runs.rglob("*.evidence.json"))]


def fixer_of(test_id: str, action: dict[str, Any]) -> dict[str, Any]:
    """A replay rule: the fix agent for ``test_id`` performs ``action``."""
    return {"name": f"fix-{test_id}", "when": {"prompt": "fix", "test": test_id}, "do": [action]}


def test_each_cluster_gets_its_own_fixer_before_any_test_runs_out_of_attempts(
    repo: Path, sprint_dir: Path
) -> None:
    tests = [
        f"- [ ] **BT-001**: users {check('users')}",
        '- [ ] **BT-002**: a marker file *(cmd: "test -f ok || (echo ok is missing; exit 1)")*',
        f'- [ ] **BT-003**: totals *(cmd: "{check_total()}")*',
    ]
    project = make_project(repo, sprint_dir, plan_of(tests))
    (repo / "settings.json").write_text(settings(auth="broken"))
    (repo / "calc.py").write_text("def total(xs):\n    return sum(xs) + 1\n")
    project.rules(
        [
            fixer_of("BT-001", write_settings_action()),
            fixer_of("BT-002", {"write": {"path": "ok", "content": ""}}),
            fixer_of("BT-003", {"write": {"path": "calc.py", "content": FIXED_TOTAL}}),
        ]
    )
    # Two checks per test: re-checks after other clusters' fixes must not use them up.
    config = config_for(project, limits__max_test_fix_attempts=2)

    EvidenceTestEngine().iteration(context(project, config))

    assert [project.status(f"BT-00{n}") for n in (1, 2, 3)] == [Status.DONE] * 3
    assert [c["test"] for c in project.agent_calls("fix")] == ["BT-001", "BT-002", "BT-003"]


def test_a_fix_that_mends_another_cluster_saves_its_fixer(repo: Path, sprint_dir: Path) -> None:
    tests = [
        f"- [ ] **BT-001**: users {check('users')}",
        '- [ ] **BT-002**: a marker file *(cmd: "test -f ok")*',
    ]
    project = make_project(repo, sprint_dir, plan_of(tests))
    (repo / "settings.json").write_text(settings(auth="broken"))
    project.rules(
        [
            {
                "name": "both",
                "when": {"prompt": "fix", "test": "BT-001"},
                "do": [write_settings_action(), {"write": {"path": "ok", "content": ""}}],
            }
        ]
    )

    EvidenceTestEngine().iteration(context(project, config_for(project)))

    assert project.status("BT-002") is Status.DONE
    assert len(project.agent_calls("fix")) == 1
    assert any("BT-002 passes after FIX-BT-001" in s for s in project.log())


def test_the_fixer_gets_its_evidence_record_as_loopd_evidence_file(
    repo: Path, sprint_dir: Path
) -> None:
    project = make_project(
        repo, sprint_dir, plan_of([f"- [ ] **BT-001**: an order shows its total {check('orders')}"])
    )
    (repo / "settings.json").write_text(settings(currency=False))
    reads_the_file = 'grep -q "missing currency field" "$LOOPD_EVIDENCE_FILE"'
    project.rules(
        [
            {
                "name": "fix-from-the-file",
                "when": {"prompt": "fix"},
                "do": [{"run": reads_the_file}, write_settings_action(), {"print": "done"}],
            }
        ]
    )

    EvidenceTestEngine().iteration(context(project, config_for(project)))

    assert project.status("BT-001") is Status.DONE
