"""The agent runner against real child processes: contract, timeouts, retries, records."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from loopd import proc
from loopd.agents import AgentRequest, Fault, InfrastructureError
from loopd.config import Config, FrozenMap
from loopd.events import read_events, totals_by_role
from tests.agents.support import (
    REPORTER,
    ROOT_REFUSAL,
    RecordingClock,
    config,
    fake_binary,
    runner,
)

FIX = AgentRequest(role="fix", prompt_name="fix", prompt="fix it\n", test_id="BT-001", attempt=2)


def claude_json(result: str, *, is_error: bool = False, cost: float = 0.25) -> str:
    return json.dumps(
        {
            "type": "result",
            "subtype": "success",
            "is_error": is_error,
            "result": result,
            "total_cost_usd": cost,
            "session_id": "s-1",
            "num_turns": 3,
        }
    )


def command_config(tmp_path: Path, body: str, retries: int = 3) -> Config:
    """The command backend running a fake agent whose Python code is ``body``."""
    agent = fake_binary(tmp_path / "bin", "agent", body)
    return config("command", retries=retries, command=f"{agent} --prompt {{prompt_file}}")


def test_agent_gets_the_contract_environment_stdin_and_cwd(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    cfg = command_config(tmp_path, REPORTER)
    evidence = Path(".loopd/s1/evidence/BT-001.md")  # relative: to the repo root
    (repo / evidence).parent.mkdir(parents=True)
    (repo / evidence).write_text("401 Unauthorized\n")
    run = runner(repo, cfg, CLAUDECODE="1", LOOPD_VRC="stale", KEEP_ME="yes")
    request = AgentRequest(
        role="fix",
        prompt_name="fix",
        prompt="Fix BT-001 ✓\r\nnow\n",
        test_id="BT-001",
        attempt=2,
        evidence_file=evidence,
    )
    result = run.call(request)
    seen = json.loads(result.text)
    env = seen["env"]
    assert result.ok and seen["stdin"] == "Fix BT-001 ✓\r\nnow\n"
    assert seen["cwd"] == str(repo.resolve())
    assert seen["argv"] == ["--prompt", str(result.prompt_file)]
    assert "CLAUDECODE" not in env and "LOOPD_VRC" not in env and env["KEEP_ME"] == "yes"
    assert len(env.pop("LOOPD_PROC_IDS")) >= 32  # marks strays for loopd.proc to stop
    assert {k: v for k, v in env.items() if k.startswith("LOOPD_")} == {
        "LOOPD_ROLE": "fix",
        "LOOPD_PROMPT": "fix",
        "LOOPD_SPRINT": "s1",
        "LOOPD_SPRINT_DIR": str(sprint_dir.resolve()),
        "LOOPD_RUN_DIR": str(run.run_dir.resolve()),
        "LOOPD_TASK_ID": "",
        "LOOPD_TEST_ID": "BT-001",
        "LOOPD_ATTEMPT": "2",
        "LOOPD_EVIDENCE_FILE": str((repo / evidence).resolve()),
    }


def test_vrc_variable_set_and_missing_evidence_left_out(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    cfg = command_config(tmp_path, REPORTER)
    request = AgentRequest(
        role="vrc", prompt_name="vrc", prompt="?", vrc="final", evidence_file=tmp_path / "none"
    )
    env = json.loads(runner(repo, cfg).call(request).text)["env"]
    assert env["LOOPD_VRC"] == "final" and "LOOPD_EVIDENCE_FILE" not in env


def test_a_300_kib_prompt_arrives_on_stdin_byte_for_byte(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    body = "data = sys.stdin.buffer.read()\nprint(len(data), hashlib.sha256(data).hexdigest())"
    cfg = command_config(tmp_path, body)
    prompt = "".join(f"line {i}: {'é' * (i % 7)}\n" for i in range(30000))
    assert len(prompt.encode()) > 300 * 1024
    result = runner(repo, cfg).call(AgentRequest(role="plan", prompt_name="plan", prompt=prompt))
    data = prompt.encode()
    assert result.text.split() == [str(len(data)), hashlib.sha256(data).hexdigest()]
    assert result.prompt_file.read_bytes() == data


def test_timeout_kills_the_group_including_a_grandchild_that_ignores_sigterm(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    pids = tmp_path / "pids"
    script = (
        "import os, signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen(['bash', '-c', \"trap '' TERM; sleep 300\"])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "print('working on it', flush=True)\n"
        "time.sleep(300)\n"
    )
    cfg = command_config(tmp_path, script)
    request = AgentRequest(role="test", prompt_name="test-runner", prompt="go", timeout=0.5)
    result = runner(repo, cfg).call(request)
    assert result.timed_out and not result.ok and result.fault is None
    assert "working on it" in result.output
    for pid in map(int, pids.read_text().split()):
        assert not proc.pid_alive(pid), f"pid {pid} survived the timeout"
    events = read_events(repo / ".loopd" / "s1" / "events.jsonl")
    assert events[-1]["outcome"] == "timeout"


# An agent that starts a process in a session of its own, as Claude Code does
# with background shells, so killing the agent's group does not reach it.
ESCAPING = """
import subprocess, time
child = subprocess.Popen(["bash", "-c", "trap '' TERM; sleep 300"], start_new_session=True)
open(os.environ["PIDFILE"], "w").write(str(child.pid))
print("started", flush=True)
time.sleep(float(os.environ["LINGER"]))
"""


@pytest.mark.parametrize("linger", ["0", "300"])
def test_processes_that_left_the_group_are_stopped_too(
    tmp_path: Path, repo: Path, sprint_dir: Path, linger: str
) -> None:
    cfg = command_config(tmp_path, ESCAPING)
    pidfile = tmp_path / "escaped"
    run = runner(repo, cfg, PIDFILE=str(pidfile), LINGER=linger)
    result = run.call(AgentRequest(role="test", prompt_name="test-runner", prompt="t", timeout=1.5))
    assert result.timed_out is (linger == "300")
    assert not proc.pid_alive(int(pidfile.read_text()))


def test_silent_timeout_is_an_infrastructure_fault(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    cfg = command_config(tmp_path, "import time; time.sleep(300)", retries=0)
    request = AgentRequest(role="plan", prompt_name="plan", prompt="go", timeout=0.3)
    with pytest.raises(InfrastructureError, match="timed out without printing") as err:
        runner(repo, cfg).call(request)
    assert err.value.fault is Fault.TIMEOUT_NO_OUTPUT and err.value.result.timed_out


def test_silent_timeout_of_a_buffering_agent_is_slow_work_not_a_fault(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    # claude --output-format json prints only when done: silence proves nothing.
    binary = fake_binary(tmp_path, "claude", "import time; time.sleep(300)")
    cfg = config("claude", retries=0, binaries={"claude": str(binary)})
    request = AgentRequest(role="fix", prompt_name="fix", prompt="go", timeout=0.3)
    result = runner(repo, cfg).call(request)
    assert result.timed_out and not result.ok and result.fault is None


RATE_LIMIT_TEXT = "API Error: 429 rate_limit_error: Number of requests has exceeded your rate limit"
RATE_LIMITED = f"""
print({claude_json(RATE_LIMIT_TEXT, is_error=True)!r})
sys.exit(1)
"""


def test_infrastructure_faults_are_retried_with_backoff_then_raised(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    fake_binary(tmp_path / "bin", "claude", RATE_LIMITED)
    cfg = config("claude", binaries={"claude": str(tmp_path / "bin" / "claude")})
    clock = RecordingClock()
    with pytest.raises(InfrastructureError) as err:
        runner(repo, cfg, clock).call(FIX)
    assert clock.sleeps == [5.0, 10.0, 20.0]
    assert err.value.fault is Fault.RATE_LIMITED and err.value.result.attempts == 4
    message = str(err.value)
    assert "rate limited" in message and "test BT-001" in message and "wait" in message
    events = read_events(repo / ".loopd" / "s1" / "events.jsonl")
    calls = [(e["retry"], e["outcome"]) for e in events if e["type"] == "agent"]
    assert calls == [(n, "rate_limited") for n in range(4)]
    retries = [(e["retry"], e["delay"]) for e in events if e["type"] == "agent_retry"]
    assert retries == [(1, 5.0), (2, 10.0), (3, 20.0)]
    totals = totals_by_role(repo / ".loopd" / "s1" / "events.jsonl")
    assert totals["fix"].calls == 4 and totals["fix"].faults == 4 and totals["fix"].failures == 0


def test_a_fault_that_clears_is_retried_until_the_call_succeeds(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    counter = tmp_path / "count"
    body = f"""
path = {str(counter)!r}
n = int(open(path).read()) + 1 if os.path.exists(path) else 1
open(path, "w").write(str(n))
if n < 3:
    print("API Error: Connection error.", file=sys.stderr)
    sys.exit(1)
print({claude_json("all done")!r})
"""
    fake_binary(tmp_path / "bin", "claude", body)
    cfg = config("claude", binaries={"claude": str(tmp_path / "bin" / "claude")})
    clock = RecordingClock()
    result = runner(repo, cfg, clock).call(FIX)
    assert result.ok and result.text == "all done" and result.attempts == 3
    assert result.cost_usd == 0.25 and result.session_id == "s-1" and result.num_turns == 3
    assert clock.sleeps == [5.0, 10.0]


def test_a_work_failure_is_returned_once_and_never_retried(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    body = (
        "print('RESULT: FAIL')\n"
        "print('tests: connection refused on :3001', file=sys.stderr)\n"
        "sys.exit(1)"
    )
    cfg = command_config(tmp_path, body)
    clock = RecordingClock()
    result = runner(repo, cfg, clock).call(FIX)
    assert not result.ok and result.fault is None and result.attempts == 1
    assert result.text.strip() == "RESULT: FAIL" and clock.sleeps == []
    totals = totals_by_role(repo / ".loopd" / "s1" / "events.jsonl")
    assert totals["fix"].calls == 1 and totals["fix"].failures == 1


def test_missing_binary_is_reported_at_once_with_a_hint(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    cfg = config("claude", binaries={"claude": str(tmp_path / "nowhere" / "claude")})
    clock = RecordingClock()
    with pytest.raises(InfrastructureError, match=r"agent\.binaries") as err:
        runner(repo, cfg, clock).call(FIX)
    assert err.value.fault is Fault.BINARY_MISSING and err.value.result.returncode is None
    # Waiting does not install a binary: no retry, no sleep.
    assert "not found" in str(err.value) and "not retried" in str(err.value)
    assert clock.sleeps == [] and err.value.result.attempts == 1


def test_claude_refusing_skip_permissions_stops_at_once_with_a_hint(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    body = f"""
if "--dangerously-skip-permissions" in sys.argv:
    print({ROOT_REFUSAL!r}, file=sys.stderr)
    sys.exit(1)
"""
    fake_binary(tmp_path / "bin", "claude", body)
    binaries = {"claude": str(tmp_path / "bin" / "claude")}
    clock = RecordingClock()
    cfg = config("claude", binaries=binaries, skip_permissions=True)
    with pytest.raises(InfrastructureError, match="skip_permissions to false") as err:
        runner(repo, cfg, clock).call(FIX)
    assert err.value.fault is Fault.REFUSED_OPTION and clock.sleeps == []


def test_claude_argv_and_json_result_through_the_runner(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    body = """
prompt = sys.stdin.read()
print(json.dumps({"type": "result", "subtype": "success", "is_error": False,
                  "result": json.dumps({"argv": sys.argv[1:], "stdin": prompt}),
                  "total_cost_usd": 0.5, "permission_denials": [
                      {"tool_name": "Bash", "tool_input": {"command": "rm -rf /"}}]}))
"""
    fake_binary(tmp_path / "bin", "claude", body)
    cfg = config(
        "claude",
        binaries={"claude": str(tmp_path / "bin" / "claude")},
        extra_args={"claude": ("--model", "opus")},
    )
    result = runner(repo, cfg).call(FIX)
    seen = json.loads(result.text)
    assert seen["argv"] == [
        "-p",
        "--output-format",
        "json",
        "--allowedTools",
        "Bash,Read,Edit,Write,Glob,Grep",
        "--model",
        "opus",
    ]
    assert seen["stdin"] == FIX.prompt
    assert result.permission_denials == ("Bash: rm -rf /",) and result.cost_usd == 0.5


def test_each_call_and_retry_gets_its_own_numbered_files(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    cfg = command_config(tmp_path, "print(sys.stdin.read().upper())")
    run = runner(repo, cfg)
    first = run.call(FIX)
    second = run.call(FIX)
    task = run.call(
        AgentRequest(role="implement", prompt_name="implement", prompt="b", task_id="Task 3")
    )
    names = sorted(p.name for p in run.run_dir.iterdir() if not p.name.startswith("."))
    assert names == [
        "001-fix-BT-001.json", "001-fix-BT-001.out", "001-fix-BT-001.prompt.md",
        "002-fix-BT-001.json", "002-fix-BT-001.out", "002-fix-BT-001.prompt.md",
        "003-implement-Task-3.json", "003-implement-Task-3.out", "003-implement-Task-3.prompt.md",
    ]  # fmt: skip
    assert first.output_file.read_text() == "FIX IT\n\n" and second.output_file != first.output_file
    record = json.loads(task.meta_file.read_text())
    assert (record["outcome"], record["task"], record["backend"]) == ("ok", "Task 3", "command")
    assert record["files"]["out"] == ".loopd/s1/runs/r1/003-implement-Task-3.out"


def test_event_lines_record_each_call(tmp_path: Path, repo: Path, sprint_dir: Path) -> None:
    fake_binary(tmp_path / "bin", "claude", f"print({claude_json('ok', cost=0.75)!r})")
    cfg = config("claude", binaries={"claude": str(tmp_path / "bin" / "claude")})
    run = runner(repo, cfg)
    run.call(FIX)
    run.call(AgentRequest(role="plan", prompt_name="plan", prompt="p"))
    events = read_events(repo / ".loopd" / "s1" / "events.jsonl")
    assert [(e["type"], e["role"], e["prompt"], e["outcome"]) for e in events] == [
        ("agent", "fix", "fix", "ok"),
        ("agent", "plan", "plan", "ok"),
    ]
    assert events[0]["test"] == "BT-001" and events[0]["attempt"] == 2
    assert events[0]["backend"] == "claude" and events[0]["retry"] == 0
    assert events[0]["time"] == "2026-01-01T00:00:00+00:00"
    totals = totals_by_role(repo / ".loopd" / "s1" / "events.jsonl")
    assert totals["fix"].cost_usd == 0.75 and totals["plan"].calls == 1


ECHO_WITH_SECRET = """
import sys
prompt = sys.stdin.read()
print("the prompt said:", prompt.strip())
print("and the database password=hunter2-very-secret")
"""


def test_secrets_never_reach_the_run_directory_unredacted(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    (repo / ".env").write_text("STRIPE_SECRET=sk_live_abcdef0123456789\n")
    cfg = command_config(tmp_path, ECHO_WITH_SECRET)
    prompt = "Fix BT-001. The key in the log was sk_live_abcdef0123456789 and AKIAIOSFODNN7ABCDEFG."
    request = AgentRequest(role="fix", prompt_name="fix", prompt=prompt, test_id="BT-001")
    result = runner(repo, cfg).call(request)
    saved = result.prompt_file.read_text() + result.output_file.read_text() + result.output
    for secret in ("sk_live_abcdef0123456789", "AKIAIOSFODNN7ABCDEFG", "hunter2-very-secret"):
        assert secret not in saved
    assert "[REDACTED" in result.prompt_file.read_text()
    assert "the prompt said: Fix BT-001." in result.output_file.read_text()


WRITES_A_SECRET_ENV = """
import pathlib
pathlib.Path(".env").write_text("DB_PASSWORD=s3cret-made-by-the-agent\\n")
print("configured the database with s3cret-made-by-the-agent")
"""


def test_a_secret_the_agent_itself_puts_in_env_is_redacted_from_its_output(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    cfg = command_config(tmp_path, WRITES_A_SECRET_ENV)
    result = runner(repo, cfg).call(
        AgentRequest(role="implement", prompt_name="implement", prompt="go")
    )
    assert "s3cret-made-by-the-agent" not in result.output_file.read_text()
    assert "[REDACTED:DB_PASSWORD]" in result.output


ECHOES_ITS_ENVIRONMENT = """
print("token in use:", os.environ[os.environ["WHICH"]])
print("stderr too:", os.environ[os.environ["WHICH"]], file=sys.stderr)
"""
# A token no pattern knows the shape of (built at run time: no scanner flags this file).
CUSTOM = "zz" + "custom" + "-q8w7e6r5t4y3"


@pytest.mark.parametrize(
    ("where", "name"),
    [
        ("environ", "ACME_API_TOKEN"),
        ("environ", "ACMETOKEN"),
        ("environ", "ACME_AUTH"),
        ("environ", "SERVICE_CREDS"),
        ("exports", "ACME_API_TOKEN"),
        ("request", "ACME_API_TOKEN"),
    ],
)
def test_a_custom_token_in_the_agents_environment_never_reaches_its_files(
    tmp_path: Path, repo: Path, sprint_dir: Path, where: str, name: str
) -> None:
    cfg = command_config(tmp_path, ECHOES_ITS_ENVIRONMENT)
    if where == "exports":  # exported by loop-config.sh
        cfg = dataclasses.replace(cfg, exports=FrozenMap({name: CUSTOM}))
    extra = {name: CUSTOM} if where == "environ" else {}
    request = AgentRequest(
        role="implement",
        prompt_name="implement",
        prompt="go",
        task_id="BUILD-001",
        env={name: CUSTOM} if where == "request" else {},
    )
    run = runner(repo, cfg, WHICH=name, **extra)
    result = run.call(request)
    assert "token in use:" in result.output_file.read_text()
    stored = [result.output_file, result.prompt_file, *run.run_dir.glob("*.json")]
    stored.append(repo / ".loopd" / "s1" / "events.jsonl")
    for path in stored:
        assert CUSTOM not in path.read_text(), path.name
    assert CUSTOM not in result.output + result.stderr
    assert f"[REDACTED:{name}]" in result.output
