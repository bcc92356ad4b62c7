"""Each backend's offline readiness probe, with fake CLIs answering as the real ones do."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from loopd.agents import Fault
from loopd.agents.backends import readiness
from loopd.config import FrozenMap
from tests.agents.support import config, fake_binary

CODEX_LOGGED_OUT = """
if sys.argv[1:] == ["--version"]:
    print("codex-cli 0.50.0")
elif sys.argv[1:] == ["login", "status"]:
    print("Not logged in", file=sys.stderr); sys.exit(1)
"""
CODEX_LOGGED_IN = """
if sys.argv[1:] == ["--version"]:
    print("codex-cli 0.50.0")
elif sys.argv[1:] == ["login", "status"]:
    print("Logged in using ChatGPT")
"""


def _path(directory: Path) -> dict[str, str]:
    return {"PATH": f"{directory}:/usr/bin:/bin"}


def test_codex_logged_out_is_refused_with_the_login_command(tmp_path: Path, repo: Path) -> None:
    fake_binary(tmp_path / "bin", "codex", CODEX_LOGGED_OUT)
    ready = readiness(config("codex"), repo, _path(tmp_path / "bin"))
    assert not ready.ok and ready.fault is Fault.NOT_LOGGED_IN
    assert "codex login" in ready.fix and "codex-cli 0.50.0" in ready.detail


def test_codex_logged_in_or_with_a_key_passes(tmp_path: Path, repo: Path) -> None:
    fake_binary(tmp_path / "bin", "codex", CODEX_LOGGED_IN)
    assert readiness(config("codex"), repo, _path(tmp_path / "bin")).ok
    fake_binary(tmp_path / "out", "codex", CODEX_LOGGED_OUT)
    keyed = _path(tmp_path / "out") | {"CODEX_API_KEY": "sk-x"}
    ready = readiness(config("codex"), repo, keyed)
    assert ready.ok and "CODEX_API_KEY" in ready.detail


@pytest.mark.parametrize("backend", ["gemini", "aider"])
def test_a_cli_without_a_login_probe_is_checked_for_its_binary(
    tmp_path: Path, repo: Path, backend: str
) -> None:
    missing = readiness(config(backend), repo, _path(tmp_path / "empty"))
    assert not missing.ok and missing.fault is Fault.BINARY_MISSING
    assert f"agent.binaries.{backend}" in missing.fix
    fake_binary(tmp_path / "bin", backend, "print('1.0.0')")
    assert readiness(config(backend), repo, _path(tmp_path / "bin")).ok


def test_a_binary_that_cannot_even_print_its_version_is_refused(tmp_path: Path, repo: Path) -> None:
    fake_binary(tmp_path / "bin", "claude", "print('node: bad option', file=sys.stderr); exit(9)")
    ready = readiness(config("claude"), repo, _path(tmp_path / "bin"))
    assert not ready.ok and "--version failed (node: bad option)" in ready.detail


def test_claude_code_is_not_run_nested_in_itself(tmp_path: Path, repo: Path) -> None:
    # The probe gets the agent's environment: CLAUDECODE dropped, so the CLI answers.
    body = """
if os.environ.get("CLAUDECODE"):
    sys.exit(1)
print("2.1.330 (Claude Code)" if sys.argv[1:] == ["--version"] else '{"loggedIn": true}')
"""
    fake_binary(tmp_path / "bin", "claude", body)
    env = _path(tmp_path / "bin") | {"CLAUDECODE": "1"}
    assert readiness(config("claude"), repo, env).ok


def test_a_replay_backend_without_its_script_is_refused(repo: Path) -> None:
    ready = readiness(config("replay"), repo, {})
    assert not ready.ok and "agent.replay_script" in ready.detail


def test_a_key_exported_by_loop_config_sh_counts_as_logged_in(tmp_path: Path, repo: Path) -> None:
    body = """
if sys.argv[1:] == ["--version"]:
    print("2.1.330 (Claude Code)")
else:
    print('{"loggedIn": false}'); sys.exit(1)
"""
    fake_binary(tmp_path / "bin", "claude", body)
    exported = dataclasses.replace(config("claude"), exports=FrozenMap({"ANTHROPIC_API_KEY": "k"}))
    assert not readiness(config("claude"), repo, _path(tmp_path / "bin")).ok
    assert readiness(exported, repo, _path(tmp_path / "bin")).ok
