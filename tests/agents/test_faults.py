"""Which faults are retried, and error text that must not be taken for one."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.agents import AgentRequest, Fault
from loopd.agents.faults import classify
from tests.agents.support import RecordingClock, config, runner

TRACEBACKS = [
    (
        "Traceback (most recent call last):\n"
        '  File "agent.py", line 3, in <module>\n'
        "FileNotFoundError: [Errno 2] No such file or directory: 'notes.md'"
    ),
    "ModuleNotFoundError: No module named 'requests'",
]


@pytest.mark.parametrize("text", TRACEBACKS)
def test_a_python_traceback_is_no_network_fault(text: str) -> None:
    assert classify(text) is None


def test_node_dns_failure_is_still_a_network_fault() -> None:
    text = "Error: getaddrinfo ENOTFOUND api.anthropic.com"
    assert classify(text) is Fault.API_UNREACHABLE


def test_an_agent_that_crashes_on_a_missing_file_fails_its_work_once(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    agent = tmp_path / "agent.py"
    agent.write_text("open('no-such-notes.md')\n")
    cfg = config("command", command=f"python3 {agent}")
    clock = RecordingClock()
    request = AgentRequest(role="fix", prompt_name="fix", prompt="go", task_id="T1")

    result = runner(repo, cfg, clock).call(request)

    # A work failure the loop records and goes on from, not a fault that stops it.
    assert not result.ok and result.fault is None and result.attempts == 1
    assert "FileNotFoundError" in result.stderr and clock.sleeps == []
