"""The replay agent, run for real through the runner: rules, times, conditions, actions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from loopd.agents import AgentRequest, AgentResult, AgentRunner
from loopd.agents.replay_script import load_script
from loopd.errors import LoopdError
from tests.agents.support import config, runner

FIX = AgentRequest(role="fix", prompt_name="fix", prompt="Fix BT-001. Evidence: got 401\n",
                   test_id="BT-001", attempt=1)  # fmt: skip


def replay(repo: Path, script: str) -> AgentRunner:
    (repo / "replay.yaml").write_text(textwrap.dedent(script))
    return runner(repo, config("replay", replay_script=Path("replay.yaml")))


def test_first_matching_rule_runs_and_prints(repo: Path, sprint_dir: Path) -> None:
    run = replay(
        repo,
        """
        rules:
          - when: {prompt: plan}
            do: [{print: planned}]
          - when: {role: fix, test: "BT-*", attempt: 1}
            do:
              - print: "RESULT: PASS"
              - print: "EVIDENCE: fine"
        """,
    )
    result = run.call(FIX)
    assert result.ok and result.text == "RESULT: PASS\nEVIDENCE: fine\n"


def test_no_matching_rule_fails_loudly_naming_prompt_and_ids(repo: Path, sprint_dir: Path) -> None:
    run = replay(repo, "rules: [{when: {prompt: plan}, do: []}]")
    result = run.call(FIX)
    assert not result.ok and result.fault is None and result.returncode == 1
    assert "no rule" in result.stderr and "prompt=fix" in result.stderr
    assert "test=BT-001" in result.stderr and "attempt=1" in result.stderr


def test_times_limits_a_rule_across_runners(repo: Path, sprint_dir: Path) -> None:
    script = """
        rules:
          - name: first try fails
            when: {prompt: fix}
            times: 2
            do: [{print: "RESULT: FAIL"}, {exit: 1}]
          - when: {prompt: fix}
            do: [{print: "RESULT: PASS"}]
        """
    outcomes = [replay(repo, script).call(FIX).ok for _ in range(3)]
    assert outcomes == [False, False, True]
    assert "first try fails" in (repo / ".loopd" / "s1" / "replay-state.json").read_text()


def test_contains_condition_lets_a_fixer_succeed_only_with_the_evidence(
    repo: Path, sprint_dir: Path
) -> None:
    run = replay(
        repo,
        """
        rules:
          - when: {prompt: fix, contains: ["got 401", "BT-001"]}
            do: [{print: fixed with evidence}]
          - when: {prompt: fix}
            do: [{fail: "no idea what is wrong"}]
        """,
    )
    assert run.call(FIX).text == "fixed with evidence\n"
    blind = run.call(AgentRequest(role="fix", prompt_name="fix", prompt="Fix BT-001\n"))
    assert not blind.ok and blind.stderr == "no idea what is wrong\n"


def test_file_actions_write_and_patch(repo: Path, sprint_dir: Path) -> None:
    run = replay(
        repo,
        """
        rules:
          - when: {prompt: implement}
            do:
              - write: {path: "$LOOPD_SPRINT_DIR/notes.md", content: "x = 1\\n"}
              - patch: {path: README.md, old: "# project", new: "# better project"}
          - when: {prompt: fix}
            do:
              - patch: {path: README.md, old: "not there", new: "?"}
        """,
    )
    assert run.call(AgentRequest(role="implement", prompt_name="implement", prompt="go")).ok
    assert (sprint_dir / "notes.md").read_text() == "x = 1\n"
    assert (repo / "README.md").read_text() == "# better project\n"
    failed = run.call(FIX)
    assert not failed.ok and "text to replace not found" in failed.stderr
    assert (repo / "README.md").read_text() == "# better project\n"


def test_checklist_actions_mark_and_append(repo: Path, sprint_dir: Path) -> None:
    plan = sprint_dir / "IMPLEMENTATION_PLAN.md"
    plan.write_text("# Plan\r\n\r\n- [ ] **BUILD-1**: build it\r\n")
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text("- [ ] **BT-001**: login works\n")
    run = replay(
        repo,
        """
        rules:
          - do:
              - mark: {id: BUILD-1}
              - append_task: {id: FIX-BT-001, text: "Fix the login"}
              - mark: {id: BT-001, doc: test_plan, status: blocked}
        """,
    )
    assert run.call(FIX).ok
    assert plan.read_bytes() == (
        b"# Plan\r\n\r\n- [x] **BUILD-1**: build it\r\n- [ ] **FIX-BT-001**: Fix the login\r\n"
    )
    assert (sprint_dir / "BETA_TEST_PLAN_v1.md").read_text() == "- [B] **BT-001**: login works\n"


def test_run_action_runs_in_the_repo_and_stops_on_failure(repo: Path, sprint_dir: Path) -> None:
    run = replay(
        repo,
        """
        rules:
          - do:
              - run: "echo from shell; pwd > where.txt"
              - run: "exit 7"
              - print: never
        """,
    )
    result = run.call(FIX)
    assert result.returncode == 7 and result.output == "from shell\n"
    assert (repo / "where.txt").read_text().strip() == str(repo.resolve())


def test_result_action_reads_like_claude_with_cost(repo: Path, sprint_dir: Path) -> None:
    run = replay(
        repo,
        """
        rules:
          - when: {vrc: final}
            do: [{result: {text: "VISION: DELIVERED", cost: 0.42, num_turns: 5}}]
          - when: {prompt: fix}
            do: [{result: {text: "Invalid API key · Please run /login", is_error: true}}]
        """,
    )
    vrc = AgentRequest(role="vrc", prompt_name="vrc", prompt="?", vrc="final")
    result: AgentResult = run.call(vrc)
    assert result.ok and result.text == "VISION: DELIVERED"
    assert result.cost_usd == 0.42 and result.num_turns == 5


def test_sleep_outlasting_the_timeout_is_stopped(repo: Path, sprint_dir: Path) -> None:
    run = replay(repo, "rules: [{do: [{print: started}, {sleep: 30}, {print: never}]}]")
    result = run.call(AgentRequest(role="test", prompt_name="test-runner", prompt="t", timeout=0.5))
    assert result.timed_out and result.output == "started\n" and not result.ok


@pytest.mark.parametrize(
    ("script", "line", "message"),
    [
        ("rules: [\n", 2, "not valid YAML"),
        ("- a\n", 1, "a mapping with a 'rules' list"),
        ("rules: []\n", 1, "non-empty list"),
        ("rules:\n  - when: {prompt: fix}\n", 2, "a rule needs 'do'"),
        ("rules:\n  - do: []\n    when: {colour: red}\n", 3, "unknown key 'colour'"),
        ("rules:\n  - do: []\n    times: 0\n", 2, "'times' must be a whole number >= 1"),
        ("rules:\n  - do:\n      - print: hi\n      - boom: 1\n", 4, "unknown action 'boom'"),
        ("rules:\n  - do:\n      - write: {path: a}\n", 3, "action 'write' needs 'content'"),
        ("rules:\n  - do:\n      - sleep: soon\n", 3, "sleep.seconds must be float"),
        ("rules:\n  - do:\n      - mark: {id: X-1, status: gone}\n", 3, "status must be one of"),
        ("rules:\n  - do:\n      - write: here\n", 3, "takes a mapping of path, content"),
        ("rules:\n  - do: []\n    do: []\n", 3, "duplicate key 'do'"),
        ("rules:\n  - do: []\n    when: {contains: [1]}\n", 3, "'contains' must be a string"),
        ("rules:\n  - {name: a, do: []}\n  - {name: a, do: []}\n", 3, "already named 'a'"),
        ("rules:\n  - just text\n", 1, "rule 1 must be a mapping"),
    ],
)
def test_script_errors_name_file_and_line(
    tmp_path: Path, script: str, line: int, message: str
) -> None:
    path = tmp_path / "replay.yaml"
    path.write_text(script)
    with pytest.raises(LoopdError) as err:
        load_script(path)
    assert err.value.line == line and err.value.path == path
    assert message in err.value.message


def test_a_bad_script_stops_the_runner_before_any_call(repo: Path, sprint_dir: Path) -> None:
    with pytest.raises(LoopdError, match=r"replay.yaml:1: unknown key 'rule'"):
        replay(repo, "rule: []\n")
