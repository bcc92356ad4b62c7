"""Test-runner calls that end without a verdict: asked again, then [U], never FAIL, [B] or a fixer.

Through the engine with the real runner: the replay agent hangs, exits
silently, prints garbage or reports a signal's exit code, and a real command
agent kills itself with a signal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loopd.agents import InfrastructureError
from loopd.checklist import Status
from loopd.engine.context import StopLoop
from loopd.events import read_events
from loopd.state import load_state
from loopd.testengine import EvidenceTestEngine
from tests.testengine.support import Project, check, config_for, context, make_project
from tests.testengine.test_rounds import evidence_files, plan_of

PAY = "- [ ] **BT-001**: pay with a card"
FIXER = {"name": "fix", "when": {"prompt": "fix"}, "do": [{"print": "fixed it"}]}
NO_VERDICT_RUNS: dict[str, list[dict[str, Any]]] = {
    # A pass printed before the hang is no verdict either: the call never finished.
    "hang": [{"print": "RESULT: PASS"}, {"sleep": 30}],
    "silent exit": [{"exit": 0}],
    "garbage": [{"print": "Lorem ipsum \x1b[31m###\x1b[0m {]"}],
    "shell-reported SIGSEGV": [{"print": "RESULT: FAIL"}, {"exit": 139}],
    "error on stderr only": [{"fail": "TypeError: cannot read properties of undefined"}],
}


def runner(name: str, actions: list[dict[str, Any]], **when: Any) -> dict[str, Any]:
    return {"name": name, "when": {"prompt": "test-runner", **when}, "do": actions}


def agent_tests(repo: Path, sprint_dir: Path, count: int = 1) -> Project:
    tests = [f"- [ ] **BT-00{n}**: an agent checks part {n}" for n in range(1, count + 1)]
    return make_project(repo, sprint_dir, plan_of(tests))


def events(project: Project, kind: str) -> list[dict[str, Any]]:
    return [e for e in read_events(project.sprint.runtime / "events.jsonl") if e["type"] == kind]


def assert_handed_to_a_human(project: Project, test_id: str) -> None:
    """[U], no attempt, no FIX/ARCH/FEAT task, no fixer: the product was never judged."""
    assert project.status(test_id) is Status.USER
    assert not [c for c in project.agent_calls() if c["role"] == "fix"]
    assert not [i.id for i in project.plan().items if i.id.endswith(test_id)]
    assert load_state(project.sprint.state_file).attempts(test_id) == 0


@pytest.mark.parametrize("how", list(NO_VERDICT_RUNS))
def test_a_runner_without_a_verdict_is_asked_again_then_the_test_is_marked_for_a_human(
    repo: Path, sprint_dir: Path, how: str
) -> None:
    project = agent_tests(repo, sprint_dir)
    project.rules([runner("runner", NO_VERDICT_RUNS[how]), FIXER])
    notes: list[str] = []
    config = config_for(project, timeouts__test=1.0, limits__max_test_fix_attempts=1)

    result = EvidenceTestEngine().iteration(context(project, config, notes=notes))

    assert_handed_to_a_human(project, "BT-001")
    assert [c["role"] for c in project.agent_calls()] == ["test", "test"]  # retries.verdictless 1
    assert "no verdict: BT-001" in result.reason
    (record,) = evidence_files(project)
    assert record["verdict"] == "NO_VERDICT"
    (handed,) = [n for n in notes if "needs a human, marked [U]" in n]
    assert "gave no verdict in 2 call(s)" in handed and "set it back to [ ]" in handed
    assert any("BT-001 marked [U]: no verdict" in s for s in project.log())


def test_a_hang_says_it_was_killed_at_its_timeout(repo: Path, sprint_dir: Path) -> None:
    project = agent_tests(repo, sprint_dir)
    project.rules([runner("runner", NO_VERDICT_RUNS["hang"])])
    config = config_for(project, timeouts__test=1.0, retries__verdictless=0)

    EvidenceTestEngine().iteration(context(project, config))

    (record,) = evidence_files(project)
    assert record["lines"] == ["killed at its timeout after 1 s"]
    assert len(project.agent_calls()) == 1  # retries.verdictless 0: no second call


SIGNAL_AGENT = """\
#!/bin/bash
# A real agent process that dies by a signal when asked to run a test.
cat > /dev/null
if [ "$LOOPD_PROMPT" = test-runner ]; then
  echo "RESULT: PASS"
  kill -SEGV $$
fi
echo "fixed it"
"""


def test_a_command_agent_killed_by_a_signal_gives_no_verdict(repo: Path, sprint_dir: Path) -> None:
    project = agent_tests(repo, sprint_dir)
    agent = repo / ".loopd" / "agent.sh"
    agent.parent.mkdir(exist_ok=True)
    agent.write_text(SIGNAL_AGENT)
    config = config_for(project, agent__backend="command", agent__command=f"bash {agent}")

    EvidenceTestEngine().iteration(context(project, config))

    assert_handed_to_a_human(project, "BT-001")
    (record,) = evidence_files(project)
    assert record["lines"] == ["crashed: ended by SIGSEGV"]


def test_a_verdict_on_the_second_call_counts(repo: Path, sprint_dir: Path) -> None:
    project = agent_tests(repo, sprint_dir)
    project.rules(
        [
            {**runner("flake", [{"exit": 0}]), "times": 1},
            runner("runner", [{"print": "EVIDENCE: paid\nRESULT: PASS"}]),
        ]
    )

    EvidenceTestEngine().iteration(context(project, config_for(project)))

    assert project.status("BT-001") is Status.DONE
    assert len(project.agent_calls()) == 2
    assert load_state(project.sprint.state_file).counter("no_verdict_in_a_row") == 0


def test_a_second_test_in_a_row_without_a_verdict_stops_the_loop_and_stays_pending(
    repo: Path, sprint_dir: Path
) -> None:
    project = agent_tests(repo, sprint_dir, count=3)
    project.rules([runner("runner", [{"print": "I looked around."}]), FIXER])
    config = config_for(project, retries__verdictless=0)

    EvidenceTestEngine().iteration(context(project, config))  # BT-001: [U]
    with pytest.raises(StopLoop) as stopped:
        EvidenceTestEngine().iteration(context(project, config))  # a fresh context: a restart

    assert "gave no verdict on 2 tests in a row, the last BT-002" in stopped.value.reason
    assert "this is the agent, not the tests" in stopped.value.reason
    assert [project.status(f"BT-00{n}") for n in (1, 2, 3)] == [
        Status.USER,
        Status.PENDING,
        Status.PENDING,
    ]
    assert len(project.agent_calls()) == 2
    assert any("BT-002: no verdict, the loop stops" in s for s in project.log())


def test_a_verdict_between_two_tests_without_one_keeps_the_loop_going(
    repo: Path, sprint_dir: Path
) -> None:
    project = agent_tests(repo, sprint_dir, count=3)
    project.rules(
        [
            runner("passes", [{"print": "RESULT: PASS"}], test="BT-002"),
            runner("garbage", [{"print": "I looked around."}]),
        ]
    )
    config = config_for(project, retries__verdictless=0)

    for _ in range(3):
        EvidenceTestEngine().iteration(context(project, config))

    statuses = [project.status(f"BT-00{n}") for n in (1, 2, 3)]
    assert statuses == [Status.USER, Status.DONE, Status.USER]


def test_a_command_test_failing_in_the_same_round_still_gets_its_fixer(
    repo: Path, sprint_dir: Path
) -> None:
    tests = [f"- [ ] **BT-001**: orders {check('orders')}", "- [ ] **BT-002**: an agent looks"]
    project = make_project(repo, sprint_dir, plan_of(tests))
    (repo / "settings.json").write_text(json.dumps({"auth": "ok", "currency": ""}) + "\n")
    fix_currency = {
        "write": {"path": "settings.json", "content": '{"auth": "ok", "currency": "EUR"}\n'}
    }
    project.rules(
        [runner("runner", [{"exit": 0}]), {**FIXER, "do": [fix_currency]}],
    )
    config = config_for(project, retries__verdictless=0)

    EvidenceTestEngine().iteration(context(project, config))

    assert project.status("BT-001") is Status.DONE
    assert project.status("BT-002") is Status.USER
    assert [c["role"] for c in project.agent_calls()] == ["test", "fix"]


def test_a_regression_check_without_a_verdict_is_no_regression(
    repo: Path, sprint_dir: Path
) -> None:
    project = make_project(repo, sprint_dir, plan_of([PAY.replace("[ ]", "[x]")]))
    project.rules([runner("hang", NO_VERDICT_RUNS["hang"])])
    config = config_for(project, timeouts__regression=1.0, retries__verdictless=0)

    outcome = EvidenceTestEngine().sweep(context(project, config), "completion")

    assert outcome.regressions == ()
    assert project.status("BT-001") is Status.USER
    assert project.plan().get("REG-BT-001") is None
    log = project.sprint.regression_log.read_text()
    assert "No verdict (not a regression): BT-001 marked [U]" in log
    assert "Regressions: none" in log
    assert "1 without a verdict" in project.log()[0]


def test_a_runner_silent_until_its_timeout_stops_the_loop_as_an_infrastructure_fault(
    repo: Path, sprint_dir: Path
) -> None:
    project = agent_tests(repo, sprint_dir)
    project.rules([runner("mute", [{"sleep": 30}]), FIXER])
    config = config_for(project, timeouts__test=1.0)

    with pytest.raises(InfrastructureError, match="timed out without printing anything"):
        EvidenceTestEngine().iteration(context(project, config))

    assert project.status("BT-001") is Status.PENDING
    assert project.plan().get("FIX-BT-001") is None


def test_an_agent_regression_sweep_stops_at_the_second_test_without_a_verdict(
    repo: Path, sprint_dir: Path
) -> None:
    tests = [f"- [x] **BT-00{n}**: an agent checks part {n}" for n in (1, 2, 3)]
    project = make_project(repo, sprint_dir, plan_of(tests))
    project.rules([runner("garbage", [{"print": "hmm"}])])
    config = config_for(project, retries__verdictless=0, policy__agent_regression=True)

    with pytest.raises(StopLoop, match="no verdict on 2 tests in a row, the last BT-002"):
        EvidenceTestEngine().sweep(context(project, config), "completion")

    statuses = [project.status(f"BT-00{n}") for n in (1, 2, 3)]
    assert statuses == [Status.USER, Status.DONE, Status.DONE]
    assert len(project.agent_calls()) == 2  # BT-003 is not asked: the loop is stopping
    log = project.sprint.regression_log.read_text()
    assert "BT-002: no verdict, the loop stops; BT-003: not checked, the loop stops" in log
