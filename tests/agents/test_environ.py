"""loop-v2's exported variables reach every agent call: a real child process reports them."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from loopd.agents import AgentRequest
from loopd.clock import SystemClock
from loopd.config import Config, load_config
from loopd.engine import assemble
from tests.agents.support import REPORTER, fake_binary, runner, sprint_of

LOOP_CONFIG = """
LOOP_BACKEND_PORT=8080
LOOP_FRONTEND_HEALTH=/ready
E2E_TEST_DIR=e2e
PROTECTED_BRANCHES="main release"
MAX_TEST_FIX_ATTEMPTS=5
TEST_RUNNER_PREAMBLE="Log in first."
export NODE_ENV=test
"""
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}


def reporting_config(tmp_path: Path, repo: Path, body: str = REPORTER, **env: str) -> Config:
    """The sprint's configuration as loopd loads it, with a fake agent running ``body``."""
    loaded = load_config(repo, sprint_of(repo), env={**ENV, **env}).config
    agent = fake_binary(tmp_path / "bin", "agent", body)
    return dataclasses.replace(
        loaded, agent=dataclasses.replace(loaded.agent, backend="command", command=str(agent))
    )


def agent_env(tmp_path: Path, repo: Path, request: AgentRequest, **env: str) -> dict[str, str]:
    result = runner(repo, reporting_config(tmp_path, repo, **env)).call(request)
    assert result.ok, result.stderr
    seen: dict[str, str] = json.loads(result.text)["env"]
    return seen


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


IMPLEMENT = AgentRequest(role="implement", prompt_name="implement", prompt="go", task_id="T-1")


def test_every_call_gets_what_loop_v2_exported(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    (sprint_dir / "loop-config.sh").write_text(LOOP_CONFIG)
    git(repo, "checkout", "-q", "-b", "loop-v2/s1-20260101-000000")
    env = agent_env(tmp_path, repo, IMPLEMENT, LOOP_CDP_PORT="9333")
    expected = {
        "SPRINT": "s1",
        "SPRINT_DIR": "docs/sprints/s1",
        "VISION_FILE": "docs/sprints/s1/VISION.md",
        "PRD_FILE": "docs/sprints/s1/PRD.md",
        "ARCH_FILE": "docs/sprints/s1/ARCHITECTURE.md",
        "PLAN_FILE": "docs/sprints/s1/IMPLEMENTATION_PLAN.md",
        "VALUE_CHECKLIST": "docs/sprints/s1/VALUE_CHECKLIST.md",
        "BLOCKERS_FILE": "docs/sprints/s1/BLOCKERS.md",
        "STATE_FILE": "docs/sprints/s1/LOOP_STATE.md",
        "BETA_TEST_PLAN": "docs/sprints/s1/BETA_TEST_PLAN_v1.md",
        "REGRESSION_LOG": "docs/sprints/s1/REGRESSION_LOG.md",
        "LOOP_ROOT": str(repo / "loop-v2"),
        "PROJECT_ROOT": str(repo),
        "BRANCH_NAME": "loop-v2/s1-20260101-000000",
        "LOOP_SERVICES_VERSION": "auto",
        "LOOP_SERVICE_TIMEOUT": "60",
        "LOOP_BACKEND_PORT": "8080",
        "LOOP_BACKEND_HEALTH": "/api/health",
        "LOOP_FRONTEND_PORT": "3000",
        "LOOP_FRONTEND_HEALTH": "/ready",
        "LOOP_CDP_PORT": "9333",
        "E2E_TEST_DIR": "e2e",
        "PROTECTED_BRANCHES": "main release",
        "MAX_TEST_FIX_ATTEMPTS": "5",
        "MAX_NO_PROGRESS": "3",
        "MAX_CONSECUTIVE_BLOCKED": "5",
        "NODE_ENV": "test",  # exported by loop-config.sh
    }
    assert {name: env.get(name) for name in expected} == expected
    assert "TEST_RUNNER_PREAMBLE" not in env, "it is in the prompt already"
    assert env["LOOPD_TASK_ID"] == "T-1" and env["LOOPD_SPRINT"] == "s1"


def test_an_unset_e2e_dir_stays_unset_and_the_branch_follows_checkouts(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    env = agent_env(tmp_path, repo, IMPLEMENT)
    assert "E2E_TEST_DIR" not in env
    assert env["BRANCH_NAME"] == "main"
    git(repo, "checkout", "-q", "-b", "feature")
    assert agent_env(tmp_path, repo, IMPLEMENT)["BRANCH_NAME"] == "feature"


def test_a_calls_own_variables_arrive_but_never_replace_loopds(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    request = dataclasses.replace(
        IMPLEMENT, env=(("SERVICE_NAME", "api"), ("PORT", "4000"), ("LOOPD_ROLE", "x"))
    )
    env = agent_env(tmp_path, repo, request)
    assert (env["SERVICE_NAME"], env["PORT"], env["LOOPD_ROLE"]) == ("api", "4000", "implement")


SERVICE_REPORTER = """
import pathlib
prompt = sys.stdin.read()
pathlib.Path(os.environ["LOOPD_RUN_DIR"], "seen.json").write_text(json.dumps(dict(os.environ)))
"""


def test_the_fix_service_agent_gets_service_name_log_file_and_port(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    sprint = sprint_of(repo)
    start = f"{sys.executable} -c 'raise SystemExit(3)'"
    sprint.services_yaml.write_text(
        f"services:\n  api:\n    start: {start}\n    health: {{http: 'http://127.0.0.1:4317/'}}\n"
    )
    config = reporting_config(tmp_path, repo, SERVICE_REPORTER)
    ctx = assemble.build(sprint, config, SystemClock(), report=lambda _: None)
    assert isinstance(ctx.services, assemble.ServicesPort)
    ctx.services.manager.fix_service("api", "did not come up")  # as the manager calls it
    seen = json.loads(next(sprint.runtime.glob("runs/*/seen.json")).read_text())
    assert seen["LOOPD_PROMPT"] == "fix-service"
    assert seen["SERVICE_NAME"] == "api"
    assert seen["LOG_FILE"] == str(sprint.runtime.resolve() / "services" / "api.log")
    assert seen["PORT"] == "4317"


ECHO_TOKEN = 'print("using", os.environ["DEPLOY_TOKEN"])'


def test_a_secret_the_agent_inherits_is_masked_in_what_loopd_keeps(
    tmp_path: Path, repo: Path, sprint_dir: Path
) -> None:
    config = reporting_config(tmp_path, repo, ECHO_TOKEN)
    result = runner(repo, config, DEPLOY_TOKEN="dpl-4c3b2a1f0e9d").call(IMPLEMENT)
    assert result.ok
    assert "dpl-4c3b2a1f0e9d" not in result.output_file.read_text()
    assert result.output.strip() == "using [REDACTED:DEPLOY_TOKEN]"
