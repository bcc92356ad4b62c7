"""Codex, Gemini, Aider and command backends, each run through the runner with a fake binary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopd.agents import AgentRequest, Fault, InfrastructureError
from loopd.errors import LoopdError
from tests.agents.support import config, fake_binary, runner

REQUEST = AgentRequest(role="implement", prompt_name="implement", prompt="Build BUILD-1\n",
                       task_id="BUILD-1")  # fmt: skip

# Each fake saves what it was given next to itself, then prints ``OUTPUT``
# (an environment variable set per test) the way the real CLI would.
RECORDING = """
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "seen.json"), "w") as f:
    json.dump({"argv": sys.argv[1:], "stdin": sys.stdin.read()}, f)
sys.stdout.write(os.environ["FAKE_OUTPUT"])
sys.exit(int(os.environ.get("FAKE_RC", "0")))
"""


def install(tmp_path: Path, name: str) -> tuple[dict[str, str], Path]:
    fake_binary(tmp_path / "bin", name, RECORDING)
    return {name: str(tmp_path / "bin" / name)}, tmp_path / "bin" / "seen.json"


def jsonl(*events: dict[str, object]) -> str:
    return "".join(json.dumps(event) + "\n" for event in events)


CODEX_OK = jsonl(
    {"type": "thread.started", "thread_id": "th-9"},
    {"type": "turn.started"},
    {"type": "item.completed", "item": {"id": "item_0", "type": "reasoning", "text": "hmm"}},
    {"type": "item.completed", "item": {"id": "item_1", "type": "agent_message", "text": "first"}},
    {"type": "item.completed", "item": {"id": "item_2", "type": "agent_message", "text": "Done."}},
    {"type": "turn.completed", "usage": {"input_tokens": 10, "output_tokens": 5}},
)


def test_codex_takes_the_prompt_on_stdin_and_reports_its_last_message(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    binaries, seen = install(tmp_path, "codex")
    cfg = config("codex", binaries=binaries, extra_args={"codex": ("--model", "o3")})
    result = runner(repo, cfg, FAKE_OUTPUT=CODEX_OK).call(REQUEST)
    recorded = json.loads(seen.read_text())
    assert recorded == {
        "argv": ["exec", "--json", "--full-auto", "--model", "o3", "-"],
        "stdin": "Build BUILD-1\n",
    }
    assert result.ok and result.text == "Done." and result.session_id == "th-9"
    assert result.num_turns == 1 and result.cost_usd is None


def test_codex_turn_failure_is_classified(tmp_path: Path, repo: Path, sprint_dir: Path) -> None:
    binaries, _ = install(tmp_path, "codex")
    output = jsonl(
        {"type": "thread.started", "thread_id": "th-1"},
        {"type": "error", "message": "stream error: 429 Too Many Requests"},
        {"type": "turn.failed", "error": {"message": "exceeded retry limit, last status: 429"}},
    )
    cfg = config("codex", binaries=binaries, retries=0)
    with pytest.raises(InfrastructureError) as err:
        runner(repo, cfg, FAKE_OUTPUT=output, FAKE_RC="1").call(REQUEST)
    assert err.value.fault is Fault.RATE_LIMITED
    # One line that starts with what went wrong and ends with where the output is.
    text = str(err.value)
    assert text.startswith("codex agent call for ") and "\n" not in text
    assert "[output: .loopd/s1/runs/" in text and text.index("[output:") > text.index("429")


def test_codex_failed_turn_without_a_known_cause_is_a_work_failure(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    binaries, _ = install(tmp_path, "codex")
    output = jsonl({"type": "turn.failed", "error": {"message": "sandbox denied the patch"}})
    result = runner(repo, config("codex", binaries=binaries), FAKE_OUTPUT=output).call(REQUEST)
    assert not result.ok and result.fault is None and result.text == "sandbox denied the patch"


def test_codex_skip_permissions_bypasses_the_sandbox(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    binaries, seen = install(tmp_path, "codex")
    cfg = config("codex", binaries=binaries, skip_permissions=True)
    runner(repo, cfg, FAKE_OUTPUT=CODEX_OK).call(REQUEST)
    argv = json.loads(seen.read_text())["argv"]
    assert "--dangerously-bypass-approvals-and-sandbox" in argv and "--full-auto" not in argv


def test_gemini_reads_the_prompt_from_stdin_and_answers_in_json(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    binaries, seen = install(tmp_path, "gemini")
    output = json.dumps({"session_id": "g-1", "response": "RESULT: PASS", "stats": {}})
    result = runner(repo, config("gemini", binaries=binaries), FAKE_OUTPUT=output).call(REQUEST)
    recorded = json.loads(seen.read_text())
    assert recorded["argv"][:1] == ["-p"] and recorded["argv"][2:] == ["--output-format", "json"]
    assert recorded["stdin"] == "Build BUILD-1\n"
    assert result.ok and result.text == "RESULT: PASS" and result.session_id == "g-1"


def test_gemini_auth_error_is_not_logged_in(tmp_path: Path, repo: Path, sprint_dir: Path) -> None:
    binaries, _ = install(tmp_path, "gemini")
    output = json.dumps(
        {"error": {"type": "Error", "message": "Please set an Auth method in settings", "code": 41}}
    )
    cfg = config("gemini", binaries=binaries, retries=0)
    with pytest.raises(InfrastructureError) as err:
        runner(repo, cfg, FAKE_OUTPUT=output, FAKE_RC="1").call(REQUEST)
    assert err.value.fault is Fault.NOT_LOGGED_IN


def test_aider_gets_the_saved_prompt_file(tmp_path: Path, repo: Path, sprint_dir: Path) -> None:
    binaries, seen = install(tmp_path, "aider")
    cfg = config("aider", binaries=binaries, extra_args={"aider": ("--no-auto-commits",)})
    result = runner(repo, cfg, FAKE_OUTPUT="Applied edit to app.py\n").call(REQUEST)
    argv = json.loads(seen.read_text())["argv"]
    assert argv == ["--message-file", str(result.prompt_file), "--yes-always", "--no-auto-commits"]
    assert result.prompt_file.read_text() == "Build BUILD-1\n"
    assert result.ok and result.text == "Applied edit to app.py\n"


def test_aider_api_error_on_stderr_is_a_fault(tmp_path: Path, repo: Path, sprint_dir: Path) -> None:
    body = "print('litellm.AuthenticationError: invalid x-api-key', file=sys.stderr); sys.exit(1)"
    fake_binary(tmp_path / "bin", "aider", body)
    cfg = config("aider", binaries={"aider": str(tmp_path / "bin" / "aider")}, retries=0)
    with pytest.raises(InfrastructureError) as err:
        runner(repo, cfg).call(REQUEST)
    assert err.value.fault is Fault.NOT_LOGGED_IN


def test_command_template_is_split_like_a_shell_and_filled_in(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    fake_binary(tmp_path / "bin", "my agent", RECORDING)
    agent = tmp_path / "bin" / "my agent"
    cfg = config("command", command=f"'{agent}' --in={{prompt_file}} 'two words'")
    result = runner(repo, cfg, FAKE_OUTPUT="RESULT: PASS\n").call(REQUEST)
    recorded = json.loads((tmp_path / "bin" / "seen.json").read_text())
    assert recorded["argv"] == [f"--in={result.prompt_file}", "two words"]
    assert recorded["stdin"] == "Build BUILD-1\n" and result.ok


def test_command_wrapping_claude_is_read_like_claude(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    fake_binary(tmp_path / "bin", "wrapper", RECORDING)
    output = json.dumps({"type": "result", "is_error": False, "result": "ok", "total_cost_usd": 2})
    cfg = config("command", command=str(tmp_path / "bin" / "wrapper"))
    result = runner(repo, cfg, FAKE_OUTPUT=output).call(REQUEST)
    assert result.ok and result.text == "ok" and result.cost_usd == 2.0


@pytest.mark.parametrize("template", [None, "  ", "agent 'unbalanced"])
def test_command_backend_needs_a_usable_template(
    template: str | None, repo: Path, sprint_dir: Path
) -> None:
    with pytest.raises(LoopdError, match=r"agent\.command"):
        runner(repo, config("command", command=template))


def test_unknown_backend_is_a_clear_error(repo: Path, sprint_dir: Path) -> None:
    with pytest.raises(LoopdError, match="unknown agent backend 'cursor'"):
        runner(repo, config("cursor"))
