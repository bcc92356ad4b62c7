"""The whole loop, end to end, on a fixture sprint driven by the replay agent."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from loopd.engine import machine
from loopd.engine.spec import load_spec
from loopd.state import KNOWN_GATES, load_state
from tests.engine.support import context, replay_config, with_budgets, write_script

PLAN = """# Implementation plan

- [ ] **BUILD-001**: create greet.py
- [ ] **BUILD-002**: make greet() say hello
"""
BETA = """# Beta test plan

- [ ] **BT-001**: greet.py exists *(cmd: "test -f greet.py")*
- [ ] **BT-002**: it says hello *(cmd: "grep -q hello greet.py")*
"""
SD = "$LOOPD_SPRINT_DIR"


def happy_rules() -> list[dict[str, Any]]:
    return [
        {
            "name": "plan",
            "when": {"prompt": "plan"},
            "do": [{"write": {"path": f"{SD}/IMPLEMENTATION_PLAN.md", "content": PLAN}}],
        },
        # The CRAAP gate finds a problem once (it changes the plan), then passes.
        {
            "name": "craap-fix",
            "when": {"prompt": "craap"},
            "times": 1,
            "do": [
                {
                    "patch": {
                        "path": f"{SD}/IMPLEMENTATION_PLAN.md",
                        "old": "create greet.py",
                        "new": "create greet.py (a module)",
                    }
                }
            ],
        },
        {
            "name": "b1",
            "when": {"prompt": "implement", "task": "BUILD-001"},
            "do": [
                {"write": {"path": "greet.py", "content": "def greet():\n    return 'hi'\n"}},
                {"mark": {"id": "BUILD-001", "doc": "plan", "status": "done"}},
            ],
        },
        {
            "name": "b2",
            "when": {"prompt": "implement", "task": "BUILD-002"},
            "do": [
                {"patch": {"path": "greet.py", "old": "'hi'", "new": "'hello'"}},
                {"mark": {"id": "BUILD-002", "doc": "plan", "status": "done"}},
            ],
        },
        {
            "name": "beta",
            "when": {"prompt": "beta-plan"},
            "do": [{"write": {"path": f"{SD}/BETA_TEST_PLAN_v1.md", "content": BETA}}],
        },
        {
            "name": "final",
            "when": {"prompt": "vrc", "vrc": "final"},
            "do": [{"print": "VISION: DELIVERED"}],
        },
        {"name": "anything-else", "do": [{"print": "nothing to change"}]},
    ]


def _events(repo: Path) -> list[dict[str, Any]]:
    path = repo / ".loopd/s1/events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _agent_prompts(repo: Path) -> list[str]:
    return [e["prompt"] for e in _events(repo) if e["type"] == "agent"]


def test_a_sprint_goes_from_documents_to_delivered(repo: Path, sprint_dir: Path) -> None:
    notes: list[str] = []
    ctx = context(repo, replay_config(write_script(repo, happy_rules())), notes)
    loop = machine.run(load_spec(), ctx, on_step=lambda _: None)

    assert loop.finished() and ctx.state.exit_code == 0
    assert (repo / "greet.py").read_text() == "def greet():\n    return 'hello'\n"
    state = load_state(sprint_dir / "LOOP_STATE.md")
    assert set(KNOWN_GATES) <= state.gates and state.stop_reason is None
    prompts = _agent_prompts(repo)
    assert prompts.count("craap") == 2  # changed the plan once, then passed
    assert prompts.count("implement") == 2 and prompts.count("beta-plan") == 1
    assert prompts[-1] == "vrc"
    log = subprocess.run(["git", "log", "--format=%s"], cwd=repo, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert "loopd(implement): BUILD-002 done" in log and "loopd(testing): BT-002 passes" in log
    assert "gate craap: issues found and fixed, re-running (1)" in notes


def test_a_task_with_no_progress_is_blocked_then_the_loop_moves_on(
    repo: Path, sprint_dir: Path
) -> None:
    rules = happy_rules()
    rules.insert(2, {"name": "stuck", "when": {"prompt": "implement", "task": "BUILD-002"},
                     "do": [{"print": "I tried"}]})  # fmt: skip
    ctx = context(repo, replay_config(write_script(repo, rules)))
    machine.run(load_spec(), ctx, on_step=lambda _: None)

    plan = (sprint_dir / "IMPLEMENTATION_PLAN.md").read_text()
    assert "- [B] **BUILD-002**" in plan
    assert _agent_prompts(repo).count("implement") == 1 + 3
    # BT-002 can never pass without BUILD-002: blocked, so a partial result.
    assert ctx.state.exit_code == 2


def test_budget_stops_cleanly_and_a_restart_resumes_to_the_same_end(
    repo: Path, sprint_dir: Path
) -> None:
    script = write_script(repo, happy_rules())
    ctx = context(repo, with_budgets(replay_config(script), max_agent_calls=6))
    loop = machine.run(load_spec(), ctx, on_step=lambda _: None)
    assert not loop.finished()
    stopped = load_state(sprint_dir / "LOOP_STATE.md")
    assert stopped.stop_reason and "max_agent_calls" in stopped.stop_reason
    assert stopped.counters["agent_calls"] == 6

    again = context(repo, replay_config(script))
    assert again.state.step == stopped.step
    loop = machine.run(load_spec(), again, on_step=lambda _: None)
    assert loop.finished() and again.state.exit_code == 0
    assert again.state.stop_reason is None
    assert _agent_prompts(repo).count("plan") == 1  # nothing planned twice


def test_no_progress_escalates_and_always_ends(repo: Path, sprint_dir: Path) -> None:
    rules = happy_rules()
    # Tests that can never pass and an implement agent that does nothing.
    never = BETA.replace("test -f greet.py", "false").replace("grep -q hello greet.py", "false")
    rules[4] = {
        "name": "beta",
        "when": {"prompt": "beta-plan"},
        "do": [{"write": {"path": f"{SD}/BETA_TEST_PLAN_v1.md", "content": never}}],
    }
    config = replay_config(write_script(repo, rules), max_test_fix_attempts=100)
    ctx = context(repo, config)
    loop = machine.run(load_spec(), ctx, on_step=lambda _: None)
    state = load_state(sprint_dir / "LOOP_STATE.md")
    assert not loop.finished()
    assert state.stop_reason and state.stop_reason.startswith("stuck:")
    assert "BT-00" in state.stop_reason
    prompts = _agent_prompts(repo)
    assert "discover-value" in prompts  # the first rung ran before force-blocking


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            "states:\n  check_docs:\n    on: {ok: nowhere}\n  done: {}\n",
            r"loop.yaml:7: state 'check_docs': outcome 'ok' goes to unknown state 'nowhere'",
        ),
        (
            "states:\n  check_docs:\n    step: no_such_step\n  done: {}\n",
            r"loop.yaml:7: state 'check_docs': no step module 'no_such_step'",
        ),
        (
            "states:\n  check_docs: {on: {ok: done}}\n  done: {on: {ok: check_docs}}\n",
            r"loop.yaml:3: final state 'done' must have no transitions",
        ),
        ("states: [\n", r"loop.yaml:6: invalid YAML"),
    ],
)
def test_spec_errors_name_file_and_line(tmp_path: Path, yaml_text: str, message: str) -> None:
    from loopd.errors import LoopdError

    bad = tmp_path / "loop.yaml"
    bad.write_text("version: 1\ninitial: check_docs\nfinal: done\non_start: []\n" + yaml_text)
    with pytest.raises(LoopdError, match=message):
        load_spec(bad)


def test_the_shipped_loop_is_valid_and_covers_loop_v2() -> None:
    spec = load_spec()
    for step in ("vrc1", "write_plan", "gate_tidy", "vrc2", "preflight", "service_readiness",
                 "implement", "test_plan", "testing", "blocked_check", "final_vrc",
                 "value_discovery", "force_block", "final_sweep", "completion"):  # fmt: skip
        assert step in spec.states, step
    assert spec.states["final_sweep"].on["regressions"] == "loop_start"  # no exec (defect 8)
