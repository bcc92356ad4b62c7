"""The real Claude Code CLI, through loopd's claude backend and runner, against a local API.

The CLI runs offline: ``ANTHROPIC_BASE_URL`` points at the scripted Messages API in
tests/fakes, which makes it call real tools (Write, Bash) in the repo, fail the ways the
real service fails, or stall.  Install the pinned CLI with ``.ci/install-claude``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from loopd import proc
from loopd.agents import AgentRequest, AgentResult, AgentRunner, Fault, InfrastructureError
from loopd.config.schema import Config
from loopd.events import EventLog
from tests.agents.support import RecordingClock, config, sprint_of
from tests.conftest import need
from tests.fakes.messages_api import RATE_LIMITED, Hang, MessagesApi, Text, ToolUse

pytestmark = pytest.mark.claude

API_KEY = "sk-ant-loopd-test"
# Variables that would send the CLI elsewhere (a real account, a proxy, a cloud
# provider) or make it refuse to start nested: the tests' CLI sees none of them.
FOREIGN_PREFIXES = ("ANTHROPIC_", "CLAUDE", "AWS_", "GOOGLE_", "VERTEX_")
PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}

TEST_RUN = AgentRequest(
    role="test", prompt_name="test-runner", prompt="Run BT-001.\n", test_id="BT-001"
)


@pytest.fixture(autouse=True)
def _claude_installed() -> None:
    need(
        shutil.which("claude") is not None, "Claude Code CLI not installed (run .ci/install-claude)"
    )


def offline_env(home: Path, base_url: str, api_key: str | None = API_KEY) -> dict[str, str]:
    """Our environment made hermetic: own HOME, no account, no retries, no outside traffic."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(FOREIGN_PREFIXES) and key.lower() not in PROXY_VARS
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        ANTHROPIC_BASE_URL=base_url,
        # The CLI's own retries wait for minutes; loopd's retries are under test.
        CLAUDE_CODE_MAX_RETRIES="0",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1",
    )
    if api_key is not None:
        env["ANTHROPIC_API_KEY"] = api_key
    return env


def claude_runner(
    repo: Path, env: dict[str, str], *, retries: int = 0, clock: RecordingClock | None = None
) -> AgentRunner:
    """loopd's runner with the claude backend (its default command line) for sprint s1.

    The kill grace is the product's default: the time a real CLI gets to stop
    its own shells on SIGTERM (a quick CLI does not make the test wait for it).
    """
    cfg = dataclasses.replace(config("claude", retries=retries), timeouts=Config().timeouts)
    sprint = sprint_of(repo)
    clock = clock or RecordingClock()
    events = EventLog(sprint.runtime / "events.jsonl", clock)
    return AgentRunner(cfg, sprint, sprint.runtime / "runs" / "r1", events, clock, environ=env)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_agent_writes_a_file_runs_bash_and_reports_pass(
    tmp_path: Path, repo: Path, sprint_dir: Path, messages_api: MessagesApi
) -> None:
    hello = repo / "hello.txt"
    messages_api.script(
        [Text("Writing the file."), ToolUse("Write", {"file_path": str(hello), "content": "hi\n"})],
        [ToolUse("Bash", {"command": 'echo "ok $LOOPD_TEST_ID" > ran.txt', "description": "run"})],
        [Text("Checked.\nRESULT: PASS\nEVIDENCE: ran.txt says ok")],
    )
    run = claude_runner(repo, offline_env(tmp_path / "home", messages_api.url))

    result = run.call(TEST_RUN)

    assert result.ok, f"{result.text}\n{result.stderr}\n{messages_api.log()}"
    assert hello.read_text() == "hi\n"
    assert (repo / "ran.txt").read_text() == "ok BT-001\n"
    assert "RESULT: PASS" in result.text
    assert result.num_turns is not None and result.num_turns >= 3
    assert result.cost_usd == reported(result, "total_cost_usd")
    assert "Run BT-001." in messages_api.agent_turns()[0].text()


def reported(result: AgentResult, key: str) -> object:
    """What the CLI itself put in its JSON result under ``key``."""
    return json.loads(result.output).get(key)


def test_no_api_key_is_an_infrastructure_fault_raised_at_once(
    tmp_path: Path, repo: Path, sprint_dir: Path, messages_api: MessagesApi
) -> None:
    clock = RecordingClock()
    env = offline_env(tmp_path / "home", messages_api.url, api_key=None)
    run = claude_runner(repo, env, retries=3, clock=clock)

    with pytest.raises(InfrastructureError) as caught:
        run.call(TEST_RUN)

    # Retrying a login fault buys nothing: one call, no wait.
    assert caught.value.fault is Fault.NOT_LOGGED_IN
    assert caught.value.result.attempts == 1 and clock.sleeps == []
    assert "/login" in str(caught.value)
    assert messages_api.requests == [], messages_api.log()


def test_unreachable_api_is_an_infrastructure_fault(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    env = offline_env(tmp_path / "home", f"http://127.0.0.1:{closed_port()}")
    run = claude_runner(repo, env)

    with pytest.raises(InfrastructureError) as caught:
        run.call(TEST_RUN)

    assert caught.value.fault is Fault.API_UNREACHABLE
    assert not caught.value.result.timed_out


def test_rate_limit_is_an_infrastructure_fault_retried_then_raised(
    tmp_path: Path, repo: Path, sprint_dir: Path, messages_api: MessagesApi
) -> None:
    messages_api.script(RATE_LIMITED, RATE_LIMITED)
    clock = RecordingClock()
    run = claude_runner(
        repo, offline_env(tmp_path / "home", messages_api.url), retries=1, clock=clock
    )

    with pytest.raises(InfrastructureError) as caught:
        run.call(TEST_RUN)

    assert caught.value.fault is Fault.RATE_LIMITED
    assert len(clock.sleeps) == 1
    # One request per loopd attempt: the CLI itself did not retry.
    assert len(messages_api.agent_turns()) == 2, messages_api.log()


def test_prompt_over_200_kib_arrives_whole_through_stdin(
    tmp_path: Path, repo: Path, sprint_dir: Path, messages_api: MessagesApi
) -> None:
    lines = (f"- [ ] **BT-{n:05d}**: check item {n} of the beta plan" for n in range(5000))
    prompt = "Run every test below.\n" + "\n".join(lines) + "\nEND OF PROMPT\n"
    assert len(prompt.encode()) > 200 * 1024
    messages_api.script([Text("RESULT: PASS")])
    run = claude_runner(repo, offline_env(tmp_path / "home", messages_api.url))

    result = run.call(AgentRequest(role="test", prompt_name="test-runner", prompt=prompt))

    assert result.ok, f"{result.text}\n{result.stderr}"
    assert prompt.strip() in messages_api.agent_turns()[0].text()


def test_hang_is_killed_at_timeout_with_every_descendant(
    tmp_path: Path, repo: Path, sprint_dir: Path, messages_api: MessagesApi
) -> None:
    # A background shell first (Claude Code starts each in a session of its
    # own), then a turn that never answers.
    background = {"command": "sleep 600", "description": "wait", "run_in_background": True}
    messages_api.script([ToolUse("Bash", background)], Hang())
    run = claude_runner(repo, offline_env(tmp_path / "home", messages_api.url))
    hung = AgentRequest(role="test", prompt_name="test-runner", prompt="go", timeout=3)

    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(run.call, hung)
        assert messages_api.wait_for_agent_turns(2, timeout=30), messages_api.log()
        during = list(processes_of(run.run_dir))
        result = call.result(timeout=60)

    # --output-format json prints only at the end, so silence at the timeout
    # is slow work (a work result the loop records), not an infrastructure fault.
    assert result.timed_out and not result.ok and result.fault is None
    groups = {pgid for _, pgid in during}
    assert len(groups) >= 2, f"expected the CLI and its background shell: {during}"
    assert [pgid for pgid in groups if proc.group_alive(pgid)] == []
    assert list(processes_of(run.run_dir)) == []


def processes_of(run_dir: Path) -> Iterator[tuple[int, int]]:
    """(pid, pgid) of each live process started for ``run_dir``, whatever its group.

    The runner puts ``LOOPD_RUN_DIR`` in the agent's environment and every
    descendant inherits it, even one that left the agent's process group.
    """
    marker = f"LOOPD_RUN_DIR={run_dir.resolve()}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and marker in _environ(entry):
            stat = _stat(entry)
            if stat is not None and stat[0] not in ("Z", "X"):
                yield int(entry.name), int(stat[2])


def _environ(entry: Path) -> list[bytes]:
    try:
        return (entry / "environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _stat(entry: Path) -> list[str] | None:
    try:
        raw = (entry / "stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()
