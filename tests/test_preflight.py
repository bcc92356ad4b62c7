"""Preflight: ``start``/``run`` refuse a loop that cannot work before changing anything.

The agent here is a fake ``claude`` answering ``--version`` and ``auth status``
as Claude Code 2.1.330 does (JSON with ``loggedIn``; exit 0 logged in, 1 not);
tests/agents/test_preflight_cli.py does the same with the real CLI.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from loopd import preflight
from loopd.sprint import locate
from loopd.state import LoopState, render_state
from tests.agents.support import fake_binary
from tests.cli import run_cli
from tests.conftest import git
from tests.preflight_support import picture, work_in_progress

LOGGED_OUT = {"loggedIn": False, "authMethod": "none", "apiProvider": "firstParty"}
LOGGED_IN = {"loggedIn": True, "authMethod": "claude.ai", "apiProvider": "firstParty"}


def fake_claude(directory: Path, status: dict[str, object] | None) -> Path:
    """A ``claude`` whose ``auth status`` reports ``status`` (None: an older CLI without it)."""
    if status is None:
        auth = "print(\"error: unknown command 'auth'\", file=sys.stderr); sys.exit(1)"
    else:
        code = 0 if status["loggedIn"] else 1
        auth = f"print(json.dumps({status!r}, indent=2)); sys.exit({code})"
    body = f"""
args = sys.argv[1:]
if args == ["--version"]:
    print("2.1.330 (Claude Code)")
elif args[:2] == ["auth", "status"]:
    {auth}
else:
    open(os.path.join(os.path.dirname(sys.argv[0]), "called"), "w").write("yes")
    sys.exit(3)
"""
    return fake_binary(directory, "claude", body)


def claude_env(binary: Path, **extra: str | None) -> dict[str, str | None]:
    return {"LOOPD_AGENT_BINARIES_CLAUDE": str(binary), "ANTHROPIC_API_KEY": None, **extra}


@pytest.fixture
def checkout(repo: Path) -> Path:
    work_in_progress(repo)
    return repo


@pytest.mark.parametrize("command", [["run", "s1"], ["start", "s1"]])
def test_a_logged_out_agent_refuses_the_loop_and_changes_nothing(
    tmp_path: Path, checkout: Path, command: list[str]
) -> None:
    claude = fake_claude(tmp_path / "bin", LOGGED_OUT)
    before = picture(checkout)
    started = time.monotonic()

    result = run_cli(checkout, *command, env=claude_env(claude))

    assert result.code == 1 and time.monotonic() - started < 10
    said = [line for line in result.err.splitlines() if "not logged in" in line]
    assert len(said) == 1 and "claude auth login" in said[0], result.err
    assert picture(checkout) == before and not (checkout / ".loopd").exists()
    assert not (tmp_path / "bin" / "called").exists()  # no agent call was made


def test_a_missing_agent_binary_is_one_line_with_the_install_command(
    tmp_path: Path, checkout: Path
) -> None:
    before = picture(checkout)
    result = run_cli(checkout, "run", "s1", env=claude_env(tmp_path / "no-such-claude"))

    assert result.code == 1
    said = [line for line in result.err.splitlines() if "no-such-claude" in line]
    assert len(said) == 1 and "npm install -g @anthropic-ai/claude-code" in said[0]
    assert picture(checkout) == before and not (checkout / ".loopd").exists()


def test_every_failure_is_a_line_of_its_own(tmp_path: Path, checkout: Path) -> None:
    git(checkout, "config", "--unset", "user.email")
    git(checkout, "config", "--unset", "user.name")
    git(checkout, "config", "user.useConfigOnly", "true")  # no guessing from the host name
    (checkout / "docs/sprints/s1/PRD.md").write_text("# PRD\n\n<!-- what it must do -->\n")
    isolated = {"HOME": str(tmp_path / "home"), "GIT_CONFIG_NOSYSTEM": "1", "EMAIL": None}
    env = claude_env(tmp_path / "no-such-claude", **isolated)
    before = picture(checkout)

    result = run_cli(checkout, "run", "s1", env=env)

    lines = result.err.splitlines()
    assert result.code == 1 and len(lines) == 4, result.err
    assert "PRD.md" in lines[0] and "nothing is written here yet" in lines[0]
    assert "git: no identity to commit with" in lines[1] and "user.email" in lines[1]
    assert "agent (claude)" in lines[2] and "not found" in lines[2]
    assert "3 check(s) failed before anything was changed" in lines[3]
    assert picture(checkout) == before


def test_a_logged_in_agent_passes_and_says_so(tmp_path: Path, checkout: Path) -> None:
    claude = fake_claude(tmp_path / "bin", LOGGED_IN)
    found = locate(checkout, "docs/sprints", "s1")

    report = preflight.check(found, environ=_binary(claude))

    assert report.failures == [] and report.agent is not None
    assert "2.1.330 (Claude Code)" in report.agent.detail
    assert "logged in (claude.ai)" in report.agent.detail


def test_an_api_key_counts_as_logged_in(tmp_path: Path, checkout: Path) -> None:
    claude = fake_claude(tmp_path / "bin", LOGGED_OUT)
    found = locate(checkout, "docs/sprints", "s1")
    environ = {"ANTHROPIC_API_KEY": "sk-ant-x"} | _binary(claude)

    report = preflight.check(found, environ=environ)

    assert report.failures == [], report.failures
    assert report.agent is not None and "ANTHROPIC_API_KEY" in report.agent.detail


def test_an_older_cli_without_auth_status_is_not_refused(tmp_path: Path, checkout: Path) -> None:
    claude = fake_claude(tmp_path / "bin", None)
    found = locate(checkout, "docs/sprints", "s1")

    report = preflight.check(found, environ=_binary(claude))

    # It cannot tell: the first call does (and a login fault there is not retried).
    assert report.failures == [] and report.agent is not None
    assert "login not checked" in report.agent.detail


def _binary(claude: Path) -> dict[str, str]:
    """The agent's environment: only a PATH, where the fake ``claude`` comes first."""
    return {"PATH": f"{claude.parent}:/usr/bin:/bin"}


def test_a_command_agent_whose_program_is_missing_is_refused(checkout: Path) -> None:
    config = checkout / ".loopd" / "config.yaml"
    config.parent.mkdir()
    config.write_text("agent:\n  backend: command\n  command: ./agents/run-agent {prompt_file}\n")
    before = picture(checkout)

    result = run_cli(checkout, "run", "s1")

    assert result.code == 1
    assert "loopd: agent (command): ./agents/run-agent: not found" in result.err
    assert picture(checkout) == before and sorted(config.parent.iterdir()) == [config]


def test_a_command_agent_relative_to_the_repo_passes(checkout: Path) -> None:
    config = checkout / ".loopd" / "config.yaml"
    config.parent.mkdir()
    config.write_text("agent:\n  backend: command\n  command: ./agents/run-agent {prompt_file}\n")
    fake_binary(checkout / "agents", "run-agent", "print('RESULT: PASS')")
    found = locate(checkout, "docs/sprints", "s1")

    report = preflight.check(found)

    assert report.failures == [] and report.agent is not None
    assert "agents/run-agent" in report.agent.detail


def test_a_config_that_does_not_parse_is_refused(checkout: Path) -> None:
    config = checkout / ".loopd" / "config.yaml"
    config.parent.mkdir()
    config.write_text("agent:\n  backend: [claude\n")

    result = run_cli(checkout, "start", "s1")

    named = [line for line in result.err.splitlines() if ".loopd/config.yaml:" in line]
    assert result.code == 1 and len(named) == 1 and "invalid YAML" in named[0], result.err
    assert sorted((checkout / ".loopd").iterdir()) == [config]


def test_a_broken_loop_state_is_refused_before_anything(tmp_path: Path, checkout: Path) -> None:
    state = checkout / "docs/sprints/s1/LOOP_STATE.md"
    state.write_text(render_state(LoopState()).rstrip().removesuffix("```"))
    claude = fake_claude(tmp_path / "bin", LOGGED_IN)
    before = picture(checkout)

    result = run_cli(checkout, "run", "s1", env=claude_env(claude))

    assert result.code == 1 and "LOOP_STATE.md" in result.err and "no closing" in result.err
    assert picture(checkout) == before and not (checkout / ".loopd").exists()


def test_doctor_runs_the_same_agent_probe(tmp_path: Path, checkout: Path) -> None:
    claude = fake_claude(tmp_path / "bin", LOGGED_OUT)

    result = run_cli(checkout, "doctor", "s1", "--json", env=claude_env(claude))

    agent = {c["name"]: c for c in json.loads(result.out)["checks"]}["agent (claude)"]
    assert result.code == 1 and agent["status"] == "MISSING"
    assert "not logged in" in agent["detail"] and "claude auth login" in agent["fix"]
