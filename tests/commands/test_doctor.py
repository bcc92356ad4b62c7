from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from loopd import dockerio
from tests.cli import run_cli
from tests.conftest import need


def _report(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    result = run_cli(repo, "doctor", *args, "--json", env=env)
    return result.code, json.loads(result.out)


def _checks(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, dict[str, object]]]:
    code, data = _report(repo, *args, env=env)
    return code, {c["name"]: c for c in data["checks"]}


def test_all_found_with_a_command_agent(repo: Path, sprint_dir: Path) -> None:
    (repo / ".loopd").mkdir()
    (repo / ".loopd/config.yaml").write_text(
        "agent:\n  backend: command\n  command: cat {prompt_file}\n"
    )
    code, data = _report(repo, "s1")
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["git"]["ok"] and checks["bash"]["ok"] and checks["git repository"]["ok"]
    assert checks["agent (command)"]["ok"]
    assert checks["sprint s1"]["ok"]
    architecture = "docs/sprints/s1/ARCHITECTURE.md: optional ARCHITECTURE.md not found"
    assert data["warnings"] == [architecture]
    assert code == 0


def test_missing_agent_binary_fails_with_a_fix(repo: Path, sprint_dir: Path) -> None:
    env = {"LOOPD_AGENT_BINARIES_CLAUDE": "/nonexistent/claude"}
    code, checks = _checks(repo, "s1", env=env)
    assert code == 1
    agent = checks["agent (claude)"]
    assert agent["status"] == "MISSING" and "npm install" in str(agent["fix"])


def test_missing_sprint_documents_fail(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "VISION.md").unlink()
    code, checks = _checks(
        repo, "s1", env={"LOOPD_AGENT_BINARIES_CLAUDE": shutil.which("true") or "true"}
    )
    assert code == 1
    assert "VISION.md" in str(checks["sprint s1"]["detail"])


def test_not_a_git_repo(tmp_path: Path) -> None:
    code, checks = _checks(tmp_path)
    assert code == 1 and checks["git repository"]["fix"] == "run: git init"


def test_text_table_names_each_check(repo: Path) -> None:
    result = run_cli(repo, "doctor", env={"LOOPD_AGENT_BINARIES_CLAUDE": "/nonexistent/claude"})
    assert result.code == 1
    for name in ("git", "bash", "agent (claude)", "docker client"):
        assert name in result.out
    assert "required check(s) failed" in result.out


def test_docker_engine_is_seen_when_running(repo: Path) -> None:
    need(dockerio.engine_status().reachable, "no Docker engine answers (start dockerd)")
    _, checks = _checks(repo)
    assert checks["docker engine"]["ok"], checks["docker engine"]
    assert str(checks["docker engine"]["detail"]).startswith("engine ")


def test_unreachable_docker_engine_is_a_warning_not_a_failure(repo: Path) -> None:
    need(shutil.which("docker") is not None, "docker client not installed")
    env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "LOOPD_AGENT_BINARIES_CLAUDE": "true"}
    code, checks = _checks(repo, env=env)
    assert checks["docker engine"]["status"] == "warning"
    assert code == 0, checks


def test_doctor_fails_on_the_file_run_refuses_with_the_same_line(
    repo: Path, sprint_dir: Path
) -> None:
    """doctor ok means run does not refuse: both read LOOP_STATE.md with one function."""
    (sprint_dir / "LOOP_STATE.md").write_text("# Loop State\n\n```yaml\nversion: [1\n```\n")
    env = {"LOOPD_AGENT_BACKEND": "command", "LOOPD_AGENT_COMMAND": "cat {prompt_file}"}
    code, checks = _checks(repo, "s1", env=env)
    state = checks["docs/sprints/s1/LOOP_STATE.md"]
    assert code == 1 and not state["ok"]
    assert "LOOP_STATE.md:4: malformed YAML in the state block" in str(state["detail"])

    run = run_cli(repo, "run", "s1", env=env)
    assert run.code == 1
    assert str(state["detail"]) in run.err


def test_doctor_says_what_run_would_do_and_lists_each_warning(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(
        "- [x] **BUILD-001**: a\n- [ ] **Task 2a**: b\n- [-] **FIX-BT-001**: c\n"
    )
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text("- [ ] **SEC-001**: no secrets leak\n")
    env = {"LOOPD_AGENT_BACKEND": "command", "LOOPD_AGENT_COMMAND": "cat {prompt_file}"}
    code, data = _report(repo, "s1", env=env)
    assert code == 0
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["run would"]["detail"] == "next task Task 2a; 1 test(s) pending, next SEC-001"
    plan_warnings = [w for w in data["warnings"] if "IMPLEMENTATION_PLAN.md" in w]
    assert [w.split(":")[1] for w in plan_warnings] == ["2", "3"]

    text = run_cli(repo, "doctor", "s1", env=env).out
    # Two in the plan, and ARCHITECTURE.md's absence.
    assert "3 warning(s): loopd reads these and goes on" in text
    assert f"  {plan_warnings[0]}" in text.splitlines()
