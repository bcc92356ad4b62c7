"""STEP 6 through the CLI: periodic VRCs, and structural growth re-opening the quality gates."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git
from tests.integration.sprints import install, loopd, notes, prompts, state, text, visited

AGENT_TESTS = "".join(f"- [ ] **BT-00{n}**: an agent checks part {n}\n" for n in range(1, 5))


def test_periodic_vrc_and_quality_gates_invalidated_by_structural_tasks(repo: Path) -> None:
    sprint = install(repo, "wordcount")
    (sprint / "BETA_TEST_PLAN_v1.md").write_text("# Beta test plan\n\n" + AGENT_TESTS)
    git(repo, "commit", "-qam", "four tests an agent runs")
    env = {
        "LOOPD_AGENT_REPLAY_SCRIPT": ".loopd/replay-rounds.yaml",
        "LOOPD_PERIODIC_VRC_INTERVAL": "2",
        "LOOPD_SIGNIFICANT_TASK_THRESHOLD": "2",
    }
    done = loopd(repo, "run", "s1", "--once", env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert state(repo).iteration == 4
    calls = prompts(repo)
    assert calls.count("vrc:periodic") == 2  # after test iterations 2 and 4
    plan = text(repo, "IMPLEMENTATION_PLAN.md")
    assert all(f"[x] **ARCH-BT-00{n}**" in plan for n in range(1, 5))
    assert "2 structural tasks added: the quality gates run again" in notes(repo)
    steps = visited(repo)
    first_test = steps.index("testing")
    assert "gate_craap" in steps[first_test:] and calls.count("craap") == 1
