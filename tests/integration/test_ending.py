"""How a sprint ends, as the user sees it through the real CLI.

A daemon whose loop stopped (a fault, a budget, stuck) exits instead of
watching a loop that cannot run; status says one state, the reason and the
command to go on, and a later ``loopd stop`` never replaces that reason.
After the loop ended (full success, partial, incomplete) status says how:
exit code, when, the tests, the final commit and its branch; the REPRO
commands agents taught loopd survive a full success's archive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from loopd import proc
from tests.cli import run_cli
from tests.conftest import git
from tests.integration.sprints import install, loopd, state, wait_for, work

# An agent that fails mid-loop the way an overloaded API does, with no retry left.
FAULT = {"LOOPD_RETRIES_ATTEMPTS": "0"}


def _status(repo: Path) -> dict[str, Any]:
    result = run_cli(repo, "status", "s1", "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _rows(repo: Path) -> dict[str, str]:
    shown = run_cli(repo, "status", "s1")
    assert shown.code == 0, shown.err
    return {line[:10].strip(): line[11:] for line in shown.out.splitlines() if line[:1] != " "}


def _pid(started: str) -> int:
    return int(started.split("(pid ")[1].split(")", maxsplit=1)[0])


def _fail_at_craap(repo: Path) -> None:
    """The greeter's agent answers CRAAP with a server error (an infrastructure fault)."""
    script = repo / ".loopd/replay.yaml"
    data = yaml.safe_load(script.read_text())
    fault = {"is_error": True, "text": "API Error: 500 Internal Server Error"}
    rule = {"name": "down", "when": {"prompt": "craap"}, "do": [{"result": fault}]}
    data["rules"].insert(0, rule)
    script.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_daemon_stopped_by_a_fault_exits_and_loopd_stop_keeps_the_reason(repo: Path) -> None:
    install(repo, "greeter")
    _fail_at_craap(repo)
    started = loopd(repo, "start", "s1", env=FAULT)  # a watching daemon, the default
    assert started.returncode == 0, started.stderr
    pid = _pid(started.stdout)

    assert wait_for(lambda: not proc.pid_alive(pid), timeout=90), "the daemon is still up"
    log = (repo / ".loopd/s1/daemon.log").read_text()
    assert "continue with: loopd start s1" in log and "watching files" not in log
    status = _status(repo)
    assert status["state"] == "stopped" and status["daemon"] is None
    assert status["continue_with"] == "loopd start s1"
    reason = status["stop_reason"]
    assert reason.startswith("infrastructure: ") and "500" in reason
    rows = _rows(repo)
    assert rows["state"] == f"stopped in step gate_craap: {reason}"
    assert rows["continue"] == "loopd start s1" and "daemon" not in rows

    stopped = loopd(repo, "stop", "s1")
    assert stopped.returncode == 0 and "no daemon is running" in stopped.stdout
    assert _status(repo)["stop_reason"] == reason


def test_loopd_stop_of_a_watching_daemon_keeps_how_the_loop_ended(repo: Path) -> None:
    install(repo, "notes")
    started = loopd(repo, "start", "s1")
    assert started.returncode == 0, started.stderr
    pid = _pid(started.stdout)
    log = repo / ".loopd/s1/daemon.log"
    assert wait_for(lambda: "watching files" in log.read_text(), timeout=90), log.read_text()
    watching = _status(repo)
    assert watching["state"] == "watching" and watching["daemon"] == {"pid": pid}

    assert loopd(repo, "stop", "s1").returncode == 0
    status = _status(repo)
    assert status["stop_reason"] is None and status["exit_code"] == 2
    assert status["state"] == "ended" and status["ended"]["exit_code"] == 2
    assert state(repo).stop_reason is None


def test_status_after_a_full_success_says_how_the_sprint_ended(repo: Path) -> None:
    install(repo, "greeter")
    done = loopd(repo, "run", "s1")
    assert done.returncode == 0, done.stdout + done.stderr

    status = _status(repo)
    assert status["state"] == "ended" and status["exit_code"] == 0
    assert status["phase"] == "completion" and status["continue_with"] is None
    ended = status["ended"]
    # The loop committed in its own worktree; the checkout stays on main.
    head = git(work(repo), "rev-parse", "HEAD").strip()
    branch = git(work(repo), "branch", "--show-current").strip()
    assert ended["commit"] == head and ended["branch"] == branch
    assert branch.startswith("loop-v2/s1-") and ended["where"] == str(work(repo))
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert ended["outcome"] == "full success" and ended["at"]
    assert ended["tests"] == {"passed": 2, "blocked": 0, "user": 0, "pending": 0}
    assert ended["archived"].startswith(".loopd/s1/archive/LOOP_STATE-")
    rows = _rows(repo)
    assert rows["state"] == "ended: full success (exit 0)"
    assert rows["ended"].startswith(f"exit 0 at {ended['at']} · tests 2 passed")
    assert f"commit {head[:12]} on {branch}" in rows["ended"]


@pytest.mark.parametrize(
    ("args", "code", "outcome", "tests"),
    [
        ([], 2, "partial success", {"passed": 2, "blocked": 1, "user": 0, "pending": 0}),
        (["1"], 1, "incomplete", {"passed": 1, "blocked": 1, "user": 0, "pending": 1}),
    ],
)
def test_status_after_a_partial_or_incomplete_end_says_how_and_how_to_go_on(
    repo: Path, args: list[str], code: int, outcome: str, tests: dict[str, int]
) -> None:
    install(repo, "notes")
    done = loopd(repo, "run", "s1", *args)
    assert done.returncode == code, done.stdout + done.stderr

    status = _status(repo)
    assert status["state"] == "ended" and status["continue_with"] == "loopd start s1"
    ended = status["ended"]
    assert ended["exit_code"] == code and ended["outcome"] == outcome
    assert ended["commit"] == git(work(repo), "rev-parse", "HEAD").strip()
    assert ended["tests"] == tests and ended["archived"] is None
    assert _rows(repo)["state"] == f"ended: {outcome} (exit {code})"
    listed = run_cli(repo, "status").out
    assert listed.split()[:2] == ["s1", "ended"]


def test_learned_repro_commands_survive_a_full_success(repo: Path) -> None:
    install(repo, "greeter")
    script = repo / ".loopd/replay.yaml"
    data = yaml.safe_load(script.read_text())
    for rule in data["rules"]:
        if rule["name"] == "beta-plan":  # BT-002 is checked by an agent, which names a command
            write = rule["do"][0]["write"]
            write["content"] = write["content"].replace(' *(cmd: "python3 check_greet.py")*', "")
    runner = {
        "name": "runner",
        "when": {"prompt": "test-runner", "test": "BT-002"},
        "do": [{"print": "EVIDENCE: it said hello\nREPRO: python3 check_greet.py\nRESULT: PASS"}],
    }
    data["rules"].insert(0, runner)
    script.write_text(yaml.safe_dump(data, sort_keys=False))
    done = loopd(repo, "run", "s1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (repo / "docs/sprints/s1/LOOP_STATE.md").exists()

    checked = run_cli(repo, "regression", "s1", "--json")
    assert checked.code == 0, checked.out + checked.err
    report = json.loads(checked.out)
    how = {check["id"]: check["how"] for check in report["checked"]}
    assert how == {"BT-001": "cmd", "BT-002": "repro"} and report["unchecked"] == []
    # The next run starts the sprint over, knowing the command.
    again = loopd(repo, "run", "s1", env={"LOOPD_BUDGETS_MAX_AGENT_CALLS": "1"})
    assert again.returncode == 1, again.stdout + again.stderr
    restarted = state(repo)
    assert restarted.counter("agent_calls") == 1
    assert dict(restarted.test_commands) == {"BT-002": "python3 check_greet.py"}
