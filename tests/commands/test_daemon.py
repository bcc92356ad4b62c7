"""start / run / stop / logs through the real CLI, as separate processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from loopd import proc
from loopd.state import load_state
from tests.cli import run_cli
from tests.integration import sprints
from tests.integration.sprints import environment, install

SD = "$LOOPD_SPRINT_DIR"
PLAN = "# Plan\n\n- [ ] **BUILD-001**: make it\n"


def _setup(repo: Path, rules: list[dict[str, Any]]) -> None:
    loopd_dir = repo / ".loopd"
    loopd_dir.mkdir(exist_ok=True)
    (loopd_dir / "replay.yaml").write_text(yaml.safe_dump({"rules": rules}, sort_keys=False))
    config = {"agent": {"backend": "replay", "replay_script": ".loopd/replay.yaml"}}
    (loopd_dir / "config.yaml").write_text(yaml.safe_dump(config))


def _planning_rules(slow_prompt: str | None = None) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {
            "name": "plan",
            "when": {"prompt": "plan"},
            "do": [{"write": {"path": f"{SD}/IMPLEMENTATION_PLAN.md", "content": PLAN}}],
        },
    ]
    if slow_prompt:
        rules.append(
            {
                "name": "slow",
                "when": {"prompt": slow_prompt},
                "do": [{"run": "sleep 300 & echo $! > slow.pid; wait"}],
            }
        )
    rules.append({"name": "rest", "do": [{"print": "ok"}]})
    return rules


def _loopd(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loopd", "-C", str(repo), *args],
        check=False, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def _wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_budget_stop_exits_1_with_the_reason_in_status(repo: Path, sprint_dir: Path) -> None:
    _setup(repo, _planning_rules())
    done = _loopd(repo, "run", "s1", "--once", env={"LOOPD_BUDGETS_MAX_AGENT_CALLS": "3"})
    assert done.returncode == 1, done.stderr
    assert "stopped: budget: 3 agent calls reached budgets.max_agent_calls" in done.stdout
    status = json.loads(run_cli(repo, "status", "s1", "--json").out)
    assert status["stop_reason"].startswith("budget: 3 agent calls")
    assert status["agents"]  # per-role totals from events.jsonl


def test_start_detaches_refuses_a_second_and_stop_ends_the_agent(
    repo: Path, sprint_dir: Path
) -> None:
    _setup(repo, _planning_rules(slow_prompt="craap"))
    started = _loopd(repo, "start", "s1", "--once")
    assert started.returncode == 0, started.stderr
    pid = int(started.stdout.split("(pid ")[1].split(")")[0])
    _wait_for(lambda: sprints.work(repo).joinpath("slow.pid").exists())
    slow = int((sprints.work(repo) / "slow.pid").read_text())
    assert proc.pid_alive(pid) and proc.pid_alive(slow)

    again = _loopd(repo, "start", "s1")
    assert again.returncode == 1 and f"already running (pid {pid})" in again.stderr

    stopped = _loopd(repo, "stop", "s1")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not proc.pid_alive(pid) and not proc.pid_alive(slow)
    state = load_state(sprints.sprint_dir(repo) / "LOOP_STATE.md")
    assert state.step == "gate_craap" and state.stop_reason == "stopped by loopd stop"
    log = _loopd(repo, "logs", "s1")
    assert "step gate_craap" in log.stdout


def test_kill_9_then_start_again_resumes_in_the_same_state(repo: Path, sprint_dir: Path) -> None:
    _setup(repo, _planning_rules(slow_prompt="clarity"))
    daemon = proc.spawn([sys.executable, "-m", "loopd", "-C", str(repo), "run", "s1", "--once"])
    _wait_for(lambda: sprints.work(repo).joinpath("slow.pid").exists())
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.popen.wait()
    killed = load_state(sprints.sprint_dir(repo) / "LOOP_STATE.md")
    assert killed.step == "gate_clarity" and killed.gate_passed("craap")
    shown = json.loads(run_cli(repo, "status", "s1", "--json").out)
    assert shown["state"] == "interrupted" and shown["continue_with"] == "loopd start s1"
    calls = killed.counters["agent_calls"]
    orphan = int((sprints.work(repo) / "slow.pid").read_text())
    assert proc.pid_alive(orphan)  # the killed daemon could not stop its agent

    _setup(repo, _planning_rules())  # the agent no longer hangs
    # Budgets count per run: this one may make one call, the one the kill cut short.
    done = _loopd(repo, "run", "s1", "--once", env={"LOOPD_BUDGETS_MAX_AGENT_CALLS": "1"})
    assert "step gate_clarity" in done.stdout, done.stdout + done.stderr
    assert "process(es) a killed daemon left running" in done.stdout
    assert not proc.pid_alive(orphan)  # the new daemon stopped it before starting
    resumed = load_state(sprints.sprint_dir(repo) / "LOOP_STATE.md")
    assert resumed.gate_passed("clarity") and resumed.counters["agent_calls"] == calls + 1


def test_stop_when_nothing_runs(repo: Path, sprint_dir: Path) -> None:
    result = run_cli(repo, "stop", "s1")
    assert result.code == 0 and "no daemon is running" in result.out


def test_graph_draws_the_loop(repo: Path, tmp_path: Path) -> None:
    mermaid = run_cli(repo, "graph")
    assert mermaid.code == 0 and "stateDiagram-v2" in mermaid.out
    assert "final_sweep --> loop_start: regressions" in mermaid.out
    out = tmp_path / "loop.dot"
    assert run_cli(repo, "graph", "--format", "dot", "--output", str(out)).code == 0
    assert out.read_text().startswith('digraph "loopd sprint loop"')


def _paused_daemon(repo: Path, **config: Any) -> int:
    """A daemon of the greeter sprint whose first agent call waits for ``.go``; its pid."""
    install(repo, "greeter", agent={"replay_script": ".loopd/replay-pause.yaml"}, **config)
    started = _loopd(repo, "start", "s1", "--once", env=environment())
    assert started.returncode == 0, started.stderr
    _wait_for(lambda: sprints.work(repo).joinpath(".agent.pid").exists())
    return int(started.stdout.split("(pid ")[1].split(")")[0])


def test_status_shows_the_running_daemon_its_step_budget_and_recent_events(repo: Path) -> None:
    pid = _paused_daemon(repo, budgets={"max_agent_calls": 40})
    try:
        shown = run_cli(repo, "status", "s1")
        data = json.loads(run_cli(repo, "status", "s1", "--json").out)
    finally:
        (sprints.work(repo) / ".go").touch()
    assert f"state      running (pid {pid}), step vrc1" in shown.out
    assert "step       vrc1" in shown.out
    assert "budget     agent calls 0 of 40" in shown.out
    assert data["daemon"] == {"pid": pid} and data["step"] == "vrc1"
    assert data["state"] == "running" and data["continue_with"] is None
    assert data["budget"]["agent_calls"] == {"used": 0.0, "limit": 40.0}
    recent = data["recent"]
    assert len(recent) == 5 and recent[-1] == {**recent[-1], "type": "transition", "dest": "vrc1"}
    assert "planning_check --plan--> vrc1" in shown.out
    _wait_for(lambda: not proc.pid_alive(pid))
    after = json.loads(run_cli(repo, "status", "s1", "--json").out)
    # The pause script writes no plan: the run stops at write_plan, after two calls.
    assert after["daemon"] is None and after["budget"]["agent_calls"]["used"] == 2.0
    assert after["stop_reason"].startswith("the plan agent did not write")
    assert after["state"] == "stopped" and after["continue_with"] == "loopd start s1"


def test_sighup_reloads_the_config_at_the_next_step(repo: Path) -> None:
    pid = _paused_daemon(repo)
    config = repo / ".loopd/config.yaml"
    config.write_text(config.read_text() + "budgets:\n  max_agent_calls: 1\n")
    os.kill(pid, signal.SIGHUP)
    (sprints.work(repo) / ".go").touch()
    _wait_for(lambda: not proc.pid_alive(pid))

    log = _loopd(repo, "logs", "s1").stdout
    assert "SIGHUP: configuration reloaded: budgets.max_agent_calls 0 -> 1" in log
    # The reloaded budget ended the run at the next call (one call in this run).
    state = load_state(sprints.sprint_dir(repo) / "LOOP_STATE.md")
    assert state.stop_reason == "budget: 1 agent calls reached budgets.max_agent_calls"
    assert state.step == "write_plan" and state.counters["agent_calls"] == 1
    lines = [line for line in log.splitlines() if line.strip()]
    assert all(line[:4].isdigit() and line[4] == "-" for line in lines[:-1])  # timestamped


def test_sighup_with_a_broken_config_keeps_the_old_one(repo: Path) -> None:
    pid = _paused_daemon(repo)
    (repo / ".loopd/config.yaml").write_text("limits:\n  max_iterations: lots\n")
    os.kill(pid, signal.SIGHUP)
    (sprints.work(repo) / ".go").touch()
    _wait_for(lambda: not proc.pid_alive(pid))
    log = (repo / ".loopd/s1/daemon.log").read_text()
    assert "SIGHUP: configuration not reloaded, keeping the old one" in log
    assert "config.yaml:2: limits.max_iterations must be an integer" in log
    assert log.index("keeping the old one") < log.index("step write_plan")  # and went on
