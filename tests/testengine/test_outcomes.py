"""Result handling: verdicts, tasks, blocking, stopping, and the ways a test runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopd.checklist import Status
from loopd.state import load_state
from loopd.testengine import EvidenceTestEngine
from tests.testengine.support import PY, Project, check, config_for, context, make_project
from tests.testengine.test_rounds import evidence_files, plan_of

E2E_PY = """\
import os, sys
print("argv:", sys.argv[1:], "cwd:", os.path.basename(os.getcwd()))
sys.exit(0 if sys.argv[1:] == ["login works"] else 1)
"""


def test_e2e_tests_run_the_configured_command_in_the_e2e_directory(
    repo: Path, sprint_dir: Path
) -> None:
    tests = [
        '- [ ] **BT-001**: log in *(E2E: "login works")*',
        '- [ ] **BT-002**: odd name *(E2E: "it\'s $HOME")*',
    ]
    project = make_project(repo, sprint_dir, plan_of(tests))
    (repo / "e2e").mkdir()
    (repo / "e2e" / "e2e.py").write_text(E2E_PY)
    project.rules([{"name": "fix", "when": {"prompt": "fix"}, "do": [{"print": "no"}]}])
    config = config_for(
        project,
        tests__e2e_command=f"{PY} e2e.py {{name}}",
        tests__e2e_test_dir="e2e",
        limits__max_test_fix_attempts=1,
        limits__max_consecutive_blocked=0,
    )

    EvidenceTestEngine().iteration(context(project, config))

    assert project.status("BT-001") is Status.DONE
    assert project.status("BT-002") is Status.BLOCKED
    (record,) = evidence_files(project)
    assert record["how"] == "e2e"
    assert 'argv: ["it\'s $HOME"] cwd: e2e' in str(record["output"])


def test_a_missing_e2e_directory_is_a_fixable_blocker(repo: Path, sprint_dir: Path) -> None:
    project = make_project(repo, sprint_dir, plan_of(['- [ ] **BT-001**: x *(E2E: "login")*']))
    config = config_for(project, tests__e2e_test_dir="e2e", limits__max_test_fix_attempts=1)

    EvidenceTestEngine().iteration(context(project, config))

    assert project.status("BT-001") is Status.BLOCKED
    (record,) = evidence_files(project)
    assert record["verdict"] == "BLOCKED_FIXABLE"
    assert "e2e does not exist" in str(record["short"])


def test_a_command_that_cannot_run_is_a_fixable_blocker(repo: Path, sprint_dir: Path) -> None:
    tests = ['- [ ] **BT-001**: the CLI exists *(cmd: "no-such-tool --version")*']
    project = make_project(repo, sprint_dir, plan_of(tests))
    project.rules([{"name": "fix", "when": {"prompt": "fix"}, "do": [{"print": "no"}]}])

    EvidenceTestEngine().iteration(context(project, config_for(project)))

    (record, *_) = evidence_files(project)
    assert record["verdict"] == "BLOCKED_FIXABLE" and record["exit_code"] == 127
    task = project.plan().get("ARCH-BT-001")
    assert task is not None and "command not found" in task.text


def agent_project(repo: Path, sprint_dir: Path, answer: str) -> Project:
    project = make_project(repo, sprint_dir, plan_of(["- [ ] **BT-001**: pay with a card"]))
    project.rules(
        [
            {"name": "runner", "when": {"prompt": "test-runner"}, "do": [{"print": answer}]},
            {"name": "fix", "when": {"prompt": "fix"}, "do": [{"print": "nothing to do here"}]},
        ]
    )
    return project


def test_an_agent_answer_without_result_is_no_verdict_with_its_output_as_evidence(
    repo: Path, sprint_dir: Path
) -> None:
    project = agent_project(repo, sprint_dir, "Checkout page crashed with TypeError: x is null")
    config = config_for(project, retries__verdictless=0)

    EvidenceTestEngine().iteration(context(project, config))

    (record,) = evidence_files(project)
    assert record["verdict"] == "NO_VERDICT" and record["how"] == "agent"
    assert "no verdict: no RESULT line in its answer" in str(record["output"])
    log = (project.repo / str(record["log_path"])).read_text()
    assert "Checkout page crashed" in log
    assert project.status("BT-001") is Status.USER  # for a person, not FAIL nor [B]


@pytest.mark.parametrize(
    "answer",
    ["## RESULT: PASS\nEVIDENCE: paid with 4242", "Checked.\n**RESULT: PASSED**", "RESULT: PASSED"],
)
def test_a_decorated_or_past_tense_pass_marks_the_test_passed(
    repo: Path, sprint_dir: Path, answer: str
) -> None:
    project = agent_project(repo, sprint_dir, answer)

    EvidenceTestEngine().iteration(context(project, config_for(project)))

    assert project.status("BT-001") is Status.DONE
    assert [c["role"] for c in project.agent_calls()] == ["test"], "no fixer for a pass"
    assert project.plan().get("FIX-BT-001") is None
    assert "BT-001 passes" in project.log()[0]


def test_an_external_blocker_opens_feat_and_blocks_when_the_fix_confirms_it(
    repo: Path, sprint_dir: Path
) -> None:
    answer = "RESULT: BLOCKED_EXTERNAL\nEVIDENCE: STRIPE_API_KEY is not set; no test mode exists"
    project = agent_project(repo, sprint_dir, answer)
    config = config_for(project, limits__max_test_fix_attempts=5)

    EvidenceTestEngine().iteration(context(project, config))

    assert project.status("BT-001") is Status.BLOCKED
    assert [c["role"] for c in project.agent_calls()] == ["test", "fix", "test"]
    task = project.plan().get("FEAT-BT-001")
    assert task is not None and "STRIPE_API_KEY" in task.text
    assert task.status is Status.BLOCKED


def test_blocked_tests_in_a_row_stop_testing(repo: Path, sprint_dir: Path) -> None:
    tests = [f'- [ ] **BT-00{n}**: broken {n} *(cmd: "exit {n}")*' for n in (1, 2, 3)]
    project = make_project(repo, sprint_dir, plan_of(tests))
    config = config_for(project, limits__max_test_fix_attempts=1, limits__max_consecutive_blocked=2)

    result = EvidenceTestEngine().iteration(context(project, config))

    assert result.outcome == "stop"
    assert "MAX_CONSECUTIVE_BLOCKED" in result.reason
    assert project.agent_calls() == []


def test_when_every_pending_test_is_out_of_attempts_they_are_all_blocked(
    repo: Path, sprint_dir: Path
) -> None:
    tests = [f"- [ ] **BT-00{n}**: t {check('users')}" for n in (1, 2)]
    project = make_project(repo, sprint_dir, plan_of(tests))
    ctx = context(project, config_for(project))
    ctx.update(ctx.state.with_attempts("BT-001", 3).with_attempts("BT-002", 3))

    result = EvidenceTestEngine().iteration(ctx)

    assert result.outcome == "done"
    assert project.status("BT-001") is Status.BLOCKED and project.status("BT-002") is Status.BLOCKED


def test_fixer_per_test_works_one_test_per_round(repo: Path, sprint_dir: Path) -> None:
    tests = [f"- [ ] **BT-00{n}**: t{n} {check('users')}" for n in (1, 2, 3)]
    project = make_project(repo, sprint_dir, plan_of(tests))
    config = config_for(project, policy__fixer_per_test=True)

    EvidenceTestEngine().iteration(context(project, config))

    statuses = [project.status(f"BT-00{n}") for n in (1, 2, 3)]
    assert statuses == [Status.DONE, Status.PENDING, Status.PENDING]


def test_a_repro_that_does_not_pass_is_not_learned(repo: Path, sprint_dir: Path) -> None:
    answer = "RESULT: PASS\nEVIDENCE: looked fine\nREPRO: test -f no-such-file"
    project = agent_project(repo, sprint_dir, answer)
    notes: list[str] = []

    EvidenceTestEngine().iteration(context(project, config_for(project), notes=notes))

    assert project.status("BT-001") is Status.DONE
    assert load_state(project.sprint.state_file).test_commands == {}
    assert any("not learned" in note for note in notes)


def test_secrets_never_reach_evidence_the_plan_or_the_fixer(repo: Path, sprint_dir: Path) -> None:
    token = "tok-9b8a7c6d5e4f3a2b"
    (repo / ".env").write_text(f"SERVICE_TOKEN={token}\n")
    # The secrets are in the output only, not in the test plan.
    leak = "source .env; echo Authorization: Bearer $SERVICE_TOKEN password=hunter$((20+2)); exit 1"
    project = make_project(repo, sprint_dir, plan_of([f'- [ ] **BT-001**: t *(cmd: "{leak}")*']))
    project.rules(
        [{"name": "fix", "when": {"prompt": "fix"}, "do": [{"print": f"fixed with {token}"}]}]
    )
    config = config_for(project, limits__max_test_fix_attempts=2)

    EvidenceTestEngine().iteration(context(project, config))

    runs = project.sprint.runtime / "runs"
    ours = [*runs.rglob("*.evidence.json"), *runs.rglob("*.attempt.json"), *runs.rglob("*.log")]
    assert len(ours) == 5, "two failed checks (record and log each) and one fix record"
    texts = [p.read_text() for p in ours]
    texts += [project.sprint.plan.read_text(), *project.prompts("fix")]
    texts.append((project.sprint.runtime / "events.jsonl").read_text())
    assert not [t for t in texts if token in t or "hunter22" in t]
    assert "[REDACTED:SERVICE_TOKEN]" in json.dumps(evidence_files(project))


def test_check_commands_see_what_loop_v2_had_exported(repo: Path, sprint_dir: Path) -> None:
    """Under loop.sh every check ran in the shell that sourced loop-config.sh."""
    command = (
        "test $LOOP_BACKEND_PORT = 4321 && test $PLAN_FILE = $SPRINT_DIR/IMPLEMENTATION_PLAN.md"
    )
    item = f'- [ ] **BT-001**: env *(cmd: "{command}")*'
    project = make_project(repo, sprint_dir, plan_of([item]))
    config = config_for(project, services__backend_port=4321, limits__max_test_fix_attempts=1)

    EvidenceTestEngine().iteration(context(project, config))

    assert project.status("BT-001") is Status.DONE
