"""``loopd logs``: the daemon log, the events as JSON, -n and -f, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.cli import run_cli
from tests.integration.sprints import argv, environment, install, loopd, work


def _wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"timed out waiting for {path}"
        time.sleep(0.05)


def test_follow_json_prints_every_event_whole_until_the_daemon_ends(repo: Path) -> None:
    install(repo, "greeter", agent={"replay_script": ".loopd/replay-pause.yaml"})
    started = loopd(repo, "start", "s1", "--once")
    assert started.returncode == 0, started.stderr
    _wait_for(work(repo) / ".agent.pid")  # start made the worktree before it returned
    follower = subprocess.Popen(
        argv(repo, "logs", "s1", "--json", "-f"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
    )  # fmt: skip
    (work(repo) / ".go").touch()
    out, err = follower.communicate(timeout=60)  # returns because the daemon ended

    assert follower.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]  # every line is whole JSON
    on_disk = (repo / ".loopd/s1/events.jsonl").read_text().splitlines()
    assert len(events) == len(on_disk)
    kinds = {e["type"] for e in events}
    assert {"transition", "agent"} <= kinds
    assert any(e["type"] == "agent" and e.get("vrc") == "vrc1" for e in events)


def test_lines_starts_with_the_last_n(repo: Path) -> None:
    install(repo, "greeter")
    assert loopd(repo, "run", "s1", "--once").returncode == 0
    everything = run_cli(repo, "logs", "s1", "--json").out.splitlines()
    last_two = run_cli(repo, "logs", "s1", "--json", "-n", "2").out.splitlines()
    assert len(everything) > 2 and last_two == everything[-2:]
    assert run_cli(repo, "logs", "s1", "--json", "-n", "0").out == ""


def test_a_foreground_run_has_events_but_no_daemon_log(repo: Path) -> None:
    install(repo, "greeter")
    assert loopd(repo, "run", "s1", "--once").returncode == 0
    missing = run_cli(repo, "logs", "s1")
    assert missing.code == 1
    assert "no daemon log yet" in missing.err and "loopd logs --json" in missing.err
    assert run_cli(repo, "logs", "s1", "--json").code == 0


def test_no_events_yet_names_the_file(repo: Path, sprint_dir: Path) -> None:
    result = run_cli(repo, "logs", "s1", "--json")
    assert result.code == 1 and ".loopd/s1/events.jsonl" in result.err
    assert "loopd start s1" in result.err
