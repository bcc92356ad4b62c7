"""The real Claude Code CLI through ``loopd run``/``start``: preflight, and faults during a run.

Offline as in test_claude_cli.py: HOME is a fresh directory (so the CLI is logged
out unless ``ANTHROPIC_API_KEY`` is set) and the API is the scripted local one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.agents.test_claude_cli import closed_port, offline_env
from tests.conftest import need
from tests.fakes.messages_api import OVERLOADED, UNAUTHORIZED, MessagesApi
from tests.preflight_support import picture, work_in_progress

pytestmark = pytest.mark.claude


@pytest.fixture(autouse=True)
def _claude_installed() -> None:
    need(
        shutil.which("claude") is not None, "Claude Code CLI not installed (run .ci/install-claude)"
    )


def loopd(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "loopd", "-C", str(repo), *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("command", ["run", "start"])
def test_a_logged_out_claude_fails_in_seconds_and_the_checkout_is_untouched(
    tmp_path: Path, repo: Path, command: str
) -> None:
    work_in_progress(repo)
    env = offline_env(tmp_path / "home", f"http://127.0.0.1:{closed_port()}", api_key=None)
    before = picture(repo)
    started = time.monotonic()

    done = loopd(repo, env, command, "s1")

    assert done.returncode == 1 and time.monotonic() - started < 15, done.stderr
    said = [line for line in done.stderr.splitlines() if "not logged in" in line]
    assert len(said) == 1 and "claude auth login" in said[0], done.stderr
    assert picture(repo) == before and not (repo / ".loopd").exists()


def test_a_login_fault_during_a_run_is_not_retried(
    tmp_path: Path, repo: Path, messages_api: MessagesApi
) -> None:
    # A key is set, so preflight passes; the API then refuses it (revoked, say).
    work_in_progress(repo)
    messages_api.script(UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED)
    env = offline_env(tmp_path / "home", messages_api.url) | {"LOOPD_RETRIES_ATTEMPTS": "3"}

    done = loopd(repo, env, "run", "s1", "--once")

    assert done.returncode == 1, done.stdout + done.stderr
    assert len(messages_api.agent_turns()) == 1, messages_api.log()
    assert "not retried" in done.stdout and "retry" not in done.stdout.replace("not retried", "")
    assert "claude auth login" in done.stdout


def test_an_overloaded_api_is_retried_with_a_line_per_retry(
    tmp_path: Path, repo: Path, messages_api: MessagesApi
) -> None:
    work_in_progress(repo)
    messages_api.script(OVERLOADED, OVERLOADED, OVERLOADED)
    retries = {"LOOPD_RETRIES_ATTEMPTS": "2", "LOOPD_RETRIES_BACKOFF": "0.1"}
    env = offline_env(tmp_path / "home", messages_api.url) | retries

    done = loopd(repo, env, "run", "s1", "--once")

    assert done.returncode == 1, done.stdout + done.stderr
    assert len(messages_api.agent_turns()) == 3, messages_api.log()
    assert "agent vrc: overloaded, retry 1/2 in 0.1 s" in done.stdout
    assert "agent vrc: overloaded, retry 2/2 in 0.1 s" in done.stdout
    assert "overloaded, after 3 attempts" in done.stdout
