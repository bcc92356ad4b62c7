"""An agent's whole process tree ends with its call, even what left by `setsid env -i`.

`env -i` drops the environment (and with it loopd's process marker) and
`setsid` leaves the session and the process group, so only parentage is left
to find such a process: the call's reaper (loopd/agents/reaper.py) adopts it.
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import pytest

from loopd.agents import AgentRequest
from tests.agents.support import config, fake_binary, runner


def _sleepers(seconds: str) -> list[int]:
    """Live processes running exactly ``sleep <seconds>``."""
    wanted = f"sleep\0{seconds}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if cmdline.endswith(wanted) and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("linger", ["0", "300"])
def test_a_setsid_env_i_grandchild_does_not_outlive_the_call(
    tmp_path: Path, repo: Path, sprint_dir: Path, linger: str
) -> None:
    seconds = f"{random.randint(3000, 9000)}.5"
    script = tmp_path / "agent.sh"
    # The agent backgrounds an escapee and exits (or works on until its timeout).
    script.write_text(f"setsid env -i sleep {seconds} &\nsleep 0.2\necho started\nsleep {linger}\n")
    agent = fake_binary(tmp_path / "bin", "agent", f"os.execvp('sh', ['sh', {str(script)!r}])")
    cfg = config("command", retries=0, command=f"{agent} {{prompt_file}}")
    try:
        result = runner(repo, cfg).call(
            AgentRequest(role="implement", prompt_name="implement", prompt="go", timeout=2.0)
        )
        assert result.timed_out is (linger == "300")
        assert "started" in result.output
        assert _sleepers(seconds) == [], "the setsid env -i grandchild survived the call"
    finally:
        # Never leave a stray behind when the test fails.
        for pid in _sleepers(seconds):
            os.kill(pid, signal.SIGKILL)


def test_a_stubborn_escapee_is_killed_at_the_timeout(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    seconds = f"{random.randint(3000, 9000)}.25"
    script = tmp_path / "agent.sh"
    # Ignores SIGTERM and leaves session and environment behind; the agent hangs.
    script.write_text(
        f"setsid env -i sh -c 'trap \"\" TERM; exec sleep {seconds}' &\necho started\nsleep 300\n"
    )
    agent = fake_binary(tmp_path / "bin", "agent", f"os.execvp('sh', ['sh', {str(script)!r}])")
    cfg = config("command", retries=0, command=f"{agent} {{prompt_file}}")
    try:
        result = runner(repo, cfg).call(
            AgentRequest(role="implement", prompt_name="implement", prompt="go", timeout=1.0)
        )
        assert result.timed_out
        assert _sleepers(seconds) == [], "a SIGTERM-proof escapee survived the timeout"
    finally:
        for pid in _sleepers(seconds):
            os.kill(pid, signal.SIGKILL)
