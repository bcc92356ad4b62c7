"""After the tests: STEP 7's value discovery, the final VRC's branches, the final sweep.

The wordcount sprint starts where loop-v2 left it: planned, built, its
tests not yet run.  Each replay script makes the review end another way.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git
from tests.integration.sprints import install, loopd, notes, prompts, text, visited, work

SCRIPT = "LOOPD_AGENT_REPLAY_SCRIPT"


def _run(repo: Path, script: str, **env: str) -> int:
    done = loopd(repo, "run", "s1", "--once", env={SCRIPT: f".loopd/{script}", **env})
    assert done.returncode in (0, 1, 2), done.stdout + done.stderr
    return done.returncode


def _after_final_vrc(repo: Path) -> list[str]:
    """The states the loop went through after its first final VRC."""
    steps = visited(repo)
    return steps[steps.index("final_vrc") + 1 :]


def test_final_vrc_with_pending_tasks_goes_back_into_the_loop(repo: Path) -> None:
    install(repo, "wordcount")
    assert _run(repo, "replay-pending.yaml") == 0
    assert _after_final_vrc(repo)[0] == "loop_start"
    assert "- [x] **Task 3**: the --lines option" in text(repo, "IMPLEMENTATION_PLAN.md")
    calls = prompts(repo)
    assert calls.count("vrc:final") == 2 and calls.index("implement") > calls.index("vrc:final")


def test_final_vrc_with_a_blocked_build_task_implements_it_again(repo: Path) -> None:
    sprint = install(repo, "wordcount")
    plan = sprint / "IMPLEMENTATION_PLAN.md"
    plan.write_text(plan.read_text().replace("[x] **BUILD-002**", "[B] **BUILD-002**"))
    git(repo, "commit", "-qam", "BUILD-002 blocked")
    assert _run(repo, "replay-unblock.yaml") == 0
    calls = prompts(repo)
    first = calls.index("vrc:final")
    assert calls[first + 1] == "implement" and calls.count("vrc:final") == 2
    assert "- [x] **BUILD-002**" in text(repo, "IMPLEMENTATION_PLAN.md")
    log = git(work(repo), "log", "--format=%s")
    assert "loopd(final-vrc): implement BUILD-002 after the final VRC" in log


def test_final_vrc_with_nothing_left_discovers_work_and_plans_it(repo: Path) -> None:
    install(repo, "wordcount")
    assert _run(repo, "replay-discover.yaml") == 0
    calls = prompts(repo)
    first = calls.index("vrc:final")
    assert calls[first + 1] == "discover" and "discover: 1 new task(s)" in notes(repo)
    # New work goes through the quality gates again before it is built.
    assert calls.index("craap", first) < calls.index("implement", first)
    assert "- [x] **Task 3**" in text(repo, "IMPLEMENTATION_PLAN.md")


def test_final_vrc_ends_the_loop_when_discover_finds_nothing(repo: Path) -> None:
    install(repo, "wordcount")
    assert _run(repo, "replay-nothing.yaml") == 0  # every test passed
    assert prompts(repo)[-2:] == ["vrc:final", "discover"]
    assert "discover: no new tasks" in notes(repo)
    assert _after_final_vrc(repo) == ["final_sweep", "completion", "done"]


def test_a_regression_in_the_final_sweep_reenters_the_loop(repo: Path) -> None:
    install(repo, "wordcount")
    assert _run(repo, "replay-regression.yaml") == 0
    after = _after_final_vrc(repo)
    assert after[:2] == ["final_sweep", "loop_start"]  # in this process, counters intact
    assert after.count("final_sweep") == 2
    plan = text(repo, "IMPLEMENTATION_PLAN.md")
    assert "**REG-BT-001**" in plan and "**FIX-BT-001**" in plan
    assert "- [x] **BT-001**" in text(repo, "BETA_TEST_PLAN_v1.md")
    assert (work(repo) / "wc.py").read_text().endswith(".read_text().split()))\n")


def test_more_blocked_than_passed_runs_value_discovery(repo: Path) -> None:
    sprint = install(repo, "wordcount")
    (sprint / "BETA_TEST_PLAN_v1.md").write_text(
        "# Beta test plan\n\n"
        '- [ ] **BT-001**: three words count as 3 *(cmd: "python3 check_wc.py")*\n'
        '- [ ] **BT-003**: --lines counts lines *(cmd: "python3 wc.py --lines wc.py")*\n'
        '- [ ] **BT-004**: a missing file is an error, not a crash *(cmd: "false")*\n'
    )
    git(repo, "commit", "-qam", "tests for the gaps")
    code = _run(repo, "replay-discovery.yaml", LOOPD_MAX_TEST_FIX_ATTEMPTS="1")

    assert code == 2  # BT-003 and BT-004 stay blocked
    assert "2 tests blocked, 1 passed: value discovery" in notes(repo)
    calls = prompts(repo)
    found = calls.index("discover-value")
    assert calls[found - 1] == "verify-blockers" and "craap" in calls[found:]
    assert "- [x] **BT-005**" in text(repo, "BETA_TEST_PLAN_v1.md")
