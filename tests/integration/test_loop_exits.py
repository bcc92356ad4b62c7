"""Every way a sprint's loop ends, through the real CLI: exit code, state and status.

0 full success (LOOP_STATE.md archived), 2 partial (some tests blocked), 1
incomplete (MAX_ITERATIONS, MAX_CONSECUTIVE_BLOCKED with tests pending), 1
stopped (a budget, MAX_LOOP_ITERATIONS, stuck, an infrastructure fault),
130 interrupted.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from loopd import proc
from tests.agents.support import fake_binary
from tests.cli import run_cli
from tests.conftest import git
from tests.integration.sprints import (
    argv,
    environment,
    install,
    loopd,
    notes,
    prompts,
    sprint_dir,
    state,
    text,
    visited,
    wait_for,
    work,
)


def _status(repo: Path) -> dict[str, object]:
    result = run_cli(repo, "status", "s1", "--json")
    assert result.code == 0, result.err
    data: dict[str, object] = json.loads(result.out)
    return data


def test_full_success_exits_0_and_archives_the_state(repo: Path) -> None:
    sprint = install(repo, "greeter")
    done = loopd(repo, "run", "s1", "--once")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "loop ended: exit 0" in done.stdout
    assert not (sprint / "LOOP_STATE.md").exists()  # the checkout's copy, untouched
    assert not (sprint_dir(repo) / "LOOP_STATE.md").exists()
    archived = list((repo / ".loopd/s1/archive").glob("LOOP_STATE-*.md"))
    assert len(archived) == 1 and state(repo).exit_code == 0
    assert (work(repo) / "greet.py").read_text() == "def greet():\n    return 'hello'\n"
    calls = prompts(repo)
    assert calls[:3] == ["vrc:vrc1", "plan", "verify-blockers"]
    assert calls.count("craap") == 2 and calls.count("vrc:vrc2") == 1  # CRAAP changed the plan once
    assert calls[-1] == "vrc:final" and state(repo).cost_usd == pytest.approx(0.25)
    log = git(work(repo), "log", "--format=%s")
    assert "loopd(implement): BUILD-002 done" in log
    assert "loopd(planning): implementation plan" in log


def test_partial_success_exits_2_with_blocked_tests_and_user_tasks(repo: Path) -> None:
    install(repo, "notes")
    done = loopd(repo, "run", "s1", "--once")

    assert done.returncode == 2, done.stdout + done.stderr
    assert "completion: partial success (exit 2)" in done.stdout
    assert "- [U] **Task 2**" in text(repo, "IMPLEMENTATION_PLAN.md")
    tests = text(repo, "BETA_TEST_PLAN_v1.md")
    assert "- [B] **BT-002**" in tests and "- [x] **BT-003**" in tests
    assert "Task 2 needs a user: marked [U]" in notes(repo)
    assert state(repo).exit_code == 2 and (sprint_dir(repo) / "LOOP_STATE.md").exists()


@pytest.mark.parametrize(
    ("args", "env", "why"),
    [
        (["--max-iterations", "1"], {}, "MAX_ITERATIONS: 1 test iterations done"),
        (
            [],
            {"LOOPD_MAX_CONSECUTIVE_BLOCKED": "1", "LOOPD_MAX_TEST_FIX_ATTEMPTS": "1"},
            "MAX_CONSECUTIVE_BLOCKED: 1 tests blocked in a row",
        ),
    ],
)
def test_incomplete_exits_1_with_tests_pending(
    repo: Path, args: list[str], env: dict[str, str], why: str
) -> None:
    install(repo, "notes")
    done = loopd(repo, "run", "s1", "--once", *args, env=env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert why in done.stdout and "completion: incomplete (exit 1)" in done.stdout
    assert "- [ ] **BT-003**" in text(repo, "BETA_TEST_PLAN_v1.md")
    assert state(repo).exit_code == 1 and state(repo).stop_reason is None


def test_a_loop_that_ended_runs_a_new_pass_when_started_again(repo: Path) -> None:
    install(repo, "notes")
    assert loopd(repo, "run", "s1", "--once", "--max-iterations", "1").returncode == 1
    ended = run_cli(repo, "status", "s1").out
    assert "ended      exit 1" in ended and "step       -" in ended
    again = loopd(repo, "run", "s1", "--once", "--max-iterations", "2")
    assert again.returncode == 2, again.stdout + again.stderr
    assert "- [x] **BT-003**" in text(repo, "BETA_TEST_PLAN_v1.md")
    assert state(repo).iteration == 2 and visited(repo).count("setup_branch") == 2


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"LOOPD_BUDGETS_MAX_AGENT_CALLS": "3"}, "budget: 3 agent calls reached"),
        ({"LOOPD_BUDGETS_MAX_COST_USD": "0.04"}, "budget: $0.04 spent reached"),
        ({"LOOPD_BUDGETS_MAX_WALL_TIME": "0.5"}, "of wall time reached budgets.max_wall_time"),
        ({"LOOPD_MAX_LOOP_ITERATIONS": "2"}, "MAX_LOOP_ITERATIONS: 2 passes"),
    ],
)
def test_limits_stop_cleanly_with_the_reason_in_status(
    repo: Path, env: dict[str, str], reason: str
) -> None:
    install(repo, "greeter")
    done = loopd(repo, "run", "s1", "--once", env=env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "stopped: " in done.stdout and reason in done.stdout
    stopped = state(repo)
    assert stopped.stop_reason and reason in stopped.stop_reason and stopped.exit_code is None
    status = _status(repo)
    assert reason in str(status["stop_reason"]) and status["daemon"] is None
    assert status["step"] == stopped.step


def test_budgets_are_per_run_and_the_next_run_goes_on(repo: Path) -> None:
    install(repo, "greeter")
    budget = {"LOOPD_BUDGETS_MAX_AGENT_CALLS": "6"}
    first = loopd(repo, "run", "s1", "--once", env=budget)
    assert first.returncode == 1 and state(repo).counter("agent_calls") == 6
    second = loopd(repo, "run", "s1", "--once", env=budget)
    assert second.returncode == 1 and state(repo).counter("agent_calls") == 12
    budget = _status(repo)["budget"]
    assert isinstance(budget, dict) and budget["agent_calls"] == {"used": 6.0, "limit": 6.0}
    last = loopd(repo, "run", "s1", "--once")
    assert last.returncode == 0, last.stdout + last.stderr
    assert prompts(repo).count("plan") == 1  # each run went on from where the last stopped


def test_stuck_stops_after_the_whole_ladder(repo: Path) -> None:
    install(repo, "notes")
    env = {"LOOPD_AGENT_REPLAY_SCRIPT": ".loopd/replay-stuck.yaml", "LOOPD_MAX_NO_PROGRESS": "2"}
    done = loopd(repo, "run", "s1", "--once", env={**env, "LOOPD_MAX_TEST_FIX_ATTEMPTS": "1"})

    assert done.returncode == 1, done.stdout + done.stderr
    reason = state(repo).stop_reason or ""
    assert reason.startswith("stuck: no progress after value discovery and force-blocking")
    steps = visited(repo)
    assert steps.index("value_discovery") < steps.index("force_block")
    assert "- [B] **BUILD-001**" in text(repo, "IMPLEMENTATION_PLAN.md")
    assert reason in str(_status(repo)["stop_reason"])


# A claude that is installed and says it is logged in (so preflight passes), whose
# key the API then refuses: what an expired or revoked key looks like.
REFUSED_KEY = """
if sys.argv[1:] == ["--version"]:
    print("2.1.330 (Claude Code)")
elif sys.argv[1:3] == ["auth", "status"]:
    print(json.dumps({"loggedIn": True, "authMethod": "api_key"}))
else:
    print(json.dumps({"type": "result", "subtype": "success", "is_error": True,
                      "result": "Invalid API key · Please run /login"}))
    sys.exit(1)
"""


def test_an_infrastructure_fault_stops_at_once_with_its_message(tmp_path: Path, repo: Path) -> None:
    install(repo, "greeter")
    claude = fake_binary(tmp_path / "bin", "claude", REFUSED_KEY)
    env = {"LOOPD_AGENT_BACKEND": "claude", "LOOPD_AGENT_BINARIES_CLAUDE": str(claude)}
    done = loopd(repo, "run", "s1", "--once", env=env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "stopped: " in done.stdout and "its API key is invalid" in done.stdout
    assert "not retried" in done.stdout and "/login" in done.stdout
    stopped = state(repo)
    assert "claude agent call for prompt 'vrc'" in (stopped.stop_reason or "")
    assert stopped.step == "vrc1" and stopped.counter("agent_calls") == 0
    assert prompts(repo) == ["vrc:vrc1"]  # one call: a login fault is not retried


def test_ctrl_c_in_the_foreground_exits_130_and_leaves_nothing_running(repo: Path) -> None:
    install(repo, "greeter")
    env = environment({"LOOPD_AGENT_REPLAY_SCRIPT": ".loopd/replay-slow.yaml"})
    child = proc.spawn(argv(repo, "start", "s1", "--foreground", "--once"), env=env)
    assert wait_for(lambda: work(repo).joinpath(".agent.pid").exists(), timeout=30)
    agent = int((work(repo) / ".agent.pid").read_text())
    os.kill(child.pid, signal.SIGINT)
    out, err = child.popen.communicate(timeout=30)

    assert child.popen.returncode == 130, out + err
    assert b"interrupted (Ctrl-C); state saved at step vrc1" in err
    assert not proc.pid_alive(agent)
    stopped = state(repo)
    assert stopped.stop_reason == "interrupted (Ctrl-C)" and stopped.step == "vrc1"


def test_an_odd_marker_written_by_hand_is_a_warning_and_the_loop_goes_on(repo: Path) -> None:
    # Refused before: loop-v2 repos hold such markers, so the item is kept and not worked on.
    sprint = install(repo, "notes")
    plan = sprint / "IMPLEMENTATION_PLAN.md"
    plan.write_text(plan.read_text() + "- [?] **BUILD-009**: what marker is this\n")
    git(repo, "commit", "-qam", "a typo")
    done = loopd(repo, "run", "s1", "--once")
    assert done.returncode == 2, done.stdout + done.stderr
    warning = "warning: docs/sprints/s1/IMPLEMENTATION_PLAN.md:6: unknown marker [?] on BUILD-009"
    assert done.stdout.count(warning) == 1
    assert "- [?] **BUILD-009**: what marker is this\n" in plan.read_text()
