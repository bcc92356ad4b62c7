"""STEP 1 and STEP 3 with a real services.yaml: a service that will not start is repaired."""

from __future__ import annotations

from pathlib import Path

from loopd import proc
from tests.integration.sprints import install, loopd, notes, prompts, state, text, visited, work


def test_a_broken_service_gets_a_task_a_repair_and_a_new_plan(repo: Path) -> None:
    install(repo, "webapp")
    done = loopd(repo, "run", "s1", "--once")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "service web failed to start" in notes(repo)
    calls = prompts(repo)
    # Brownfield (serve.sh exists): analysed, then repaired by an implement call.
    assert calls[:2] == ["service-readiness", "implement"]
    plan = text(repo, "IMPLEMENTATION_PLAN.md")
    assert "- [x] **SVC-web**: make service web start" in plan
    assert "Evidence: web: WEB_ROOT is not set" in plan
    # New SVC tasks send the loop back through planning before it goes on.
    steps = visited(repo)
    readiness = steps.index("service_readiness")
    assert steps[readiness + 1] == "loop_start" and "gate_craap" in steps[readiness:]
    assert state(repo).gate_passed("service_readiness")
    # The service ran for the tests and was stopped with the loop.
    pid = int((work(repo) / ".web.pid").read_text())
    assert not proc.pid_alive(pid)
