"""A repo as real loop-v2 leaves it, resumed by the real CLI to the right exit code.

The ``loopv2`` fixture is written from loop-v2-contracts.md: duplicate REG- tasks, a
``[~]`` marker, ``Task 3a``/``Task 4.1`` items, a force-blocked test whose block is only
its title, SEC-/EDGE- tests, an E2E annotation with two names and no E2E_TEST_DIR, a
table VALUE_CHECKLIST.md with a BLOCKED row, loop-v2's services.yaml format, a
loop-config.sh with LOOP_* names and a preamble built from loop-v2's variables, loop-v2's
own LOOP_STATE.md, a REGRESSION_LOG.md with ANSI escapes and a team prompt override in
``loop-v2/prompts/``.  The scripted agent answers the way loop-v2's prompts make agents
answer (decorated verdicts, no VISION line) and checks the real service through
``LOOP_BACKEND_PORT``, as agents under loop.sh did.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.conftest import git
from tests.integration.sprints import SPRINT, install, loopd, prompts, text

LOOP_V2_BRANCH = "loop-v2/s1-20260601-102231"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _install(repo: Path) -> int:
    """The fixture on the branch loop-v2 left it on, its service on a free port."""
    install(repo, "loopv2")
    port = _free_port()
    services = repo / SPRINT / "services.yaml"
    services.write_text(services.read_text().replace("3001", str(port)))
    git(repo, "commit", "-qam", "this machine's port")
    git(repo, "checkout", "-qb", LOOP_V2_BRANCH)
    (repo / "scratch-notes.txt").write_text("my own notes, not for the loop\n")
    return port


def _gates_as_loop_v2_reads_them(state_file: Path) -> str:
    """``load_state``'s reading, rewritten: the value of the first ``^gates_passed:`` line."""
    script = 'grep "^gates_passed:" "$1" | head -n 1 | cut -d: -f2 | tr -d " "'
    done = subprocess.run(
        ["bash", "-c", script, "bash", str(state_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_doctor_reads_every_file_and_names_each_oddity(repo: Path) -> None:
    port = _install(repo)
    done = loopd(repo, "doctor", "s1", env={"LOOP_BACKEND_PORT": str(port)})
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "IMPLEMENTATION_PLAN.md:" in out and "REG-BT-002" in out
    assert "[~]" in out
    assert "services.yaml" in out


def test_a_loop_v2_repo_resumes_to_partial_success(repo: Path) -> None:
    port = _install(repo)
    before_log = (repo / SPRINT / "REGRESSION_LOG.md").read_bytes()
    env = {"LOOP_BACKEND_PORT": str(port)}

    done = loopd(repo, "run", "s1", "20", env=env, timeout=240)
    out = done.stdout + done.stderr

    # BT-003 stays force-blocked (as loop-v2 left it), every other test passes: partial.
    assert done.returncode == 2, out
    beta = text(repo, "BETA_TEST_PLAN_v1.md")
    for test_id in ("BT-001", "BT-002", "SEC-001", "EDGE-001"):
        assert f"- [x] **{test_id}**" in beta, test_id
    assert "- [B] **BT-003**" in beta
    assert "- [ ] **" not in beta

    calls = prompts(repo)
    assert "verify-blockers" in calls, "a BLOCKED table row triggers verify-blockers"
    value = text(repo, "VALUE_CHECKLIST.md")
    assert "BLOCKED" not in value, "the team's legacy verify-blockers prompt resolved it"

    plan = text(repo, "IMPLEMENTATION_PLAN.md")
    assert "- [x] **BUILD-003**: Add a manual refresh button" in plan
    assert (repo / "web" / "notes.html").is_file()
    assert "- [U] **Task 4.1**" in plan
    assert "- [x] **Task 3a**" in plan
    assert "- [~] **FIX-BT-003**" in plan, "an unknown marker is kept byte for byte"

    runs = repo / ".loopd" / "s1" / "runs"
    runner_prompts = [p.read_text() for p in runs.rglob("*-test-*.prompt.md")]
    assert runner_prompts
    preamble = (
        f"The API runs at http://localhost:{port}/api/health. "
        "Plan: docs/sprints/s1/IMPLEMENTATION_PLAN.md."
    )
    assert all(preamble in prompt for prompt in runner_prompts)

    assert (repo / SPRINT / "REGRESSION_LOG.md").read_bytes().startswith(before_log)
    state_file = repo / SPRINT / "LOOP_STATE.md"
    gates = _gates_as_loop_v2_reads_them(state_file).split(",")
    assert {"planning", "service_readiness", "test_plan_generated"} <= set(gates)

    committed = git(repo, "log", "--name-only", "--format=", f"main..{LOOP_V2_BRANCH}")
    assert "scratch-notes.txt" not in committed
    assert "web/notes.html" in committed
    assert git(repo, "branch", "--show-current").strip() == LOOP_V2_BRANCH
