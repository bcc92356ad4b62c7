"""loopd invoked as loop-v2's loop.sh was: `loopd run SPRINT [N]`, ending with its exit code."""

from __future__ import annotations

from pathlib import Path

from loopd import proc
from loopd.state import KNOWN_GATES
from tests.integration.sprints import install, loopd, sprint_dir, state, text, wait_for
from tests.test_state_loop_v2 import read_back


def test_run_with_loop_v2s_second_argument_ends_and_loop_sh_can_resume(repo: Path) -> None:
    install(repo, "notes")
    # No --once, no --watch: a script calling it gets the exit code, as from loop.sh.
    first = loopd(repo, "run", "s1", "1", timeout=90)

    assert first.returncode == 1, first.stdout + first.stderr
    assert "MAX_ITERATIONS: 1 test iterations done" in first.stdout
    assert "loop ended: exit 1" in first.stdout
    # Going back to loop.sh: it finds the iteration and every gate loopd passed.
    back = read_back(sprint_dir(repo) / "LOOP_STATE.md")
    assert back["phase"] == "2" and back["iteration"] == "1"
    passed = state(repo).gates
    assert back["gates"] == "".join(f"{gate}," for gate in KNOWN_GATES if gate in passed)
    assert {"vrc1", "planning", "vrc2", "test_plan_generated"} <= passed

    again = loopd(repo, "run", "s1", "2", "--max-iterations", "2", timeout=90)
    assert again.returncode == 2, again.stdout + again.stderr
    assert "- [x] **BT-003**" in text(repo, "BETA_TEST_PLAN_v1.md")


def test_two_different_iteration_limits_are_refused_before_anything_is_written(
    repo: Path,
) -> None:
    before = (install(repo, "notes") / "LOOP_STATE.md").read_text()
    done = loopd(repo, "run", "s1", "5", "--max-iterations", "6")
    assert done.returncode == 1
    assert "iteration limit is given twice, as 5 and --max-iterations 6" in done.stderr
    assert text(repo, "LOOP_STATE.md") == before and not (repo / ".loopd/s1").exists()


def test_once_and_watch_together_are_refused(repo: Path) -> None:
    before = (install(repo, "notes") / "LOOP_STATE.md").read_text()
    done = loopd(repo, "run", "s1", "--once", "--watch")
    assert done.returncode == 1 and "--once and --watch contradict" in done.stderr
    assert text(repo, "LOOP_STATE.md") == before and not (repo / ".loopd/s1").exists()


def _daemon_pid(started: str) -> int:
    return int(started.split("(pid ")[1].split(")", maxsplit=1)[0])


def test_the_daemon_watches_after_the_loop_and_start_once_exits(repo: Path) -> None:
    install(repo, "greeter")
    log = repo / ".loopd/s1/daemon.log"
    started = loopd(repo, "start", "s1")
    assert started.returncode == 0, started.stderr
    pid = _daemon_pid(started.stdout)
    try:
        assert wait_for(lambda: "watching files for changes" in log.read_text(), timeout=90)
        assert "loop ended: exit 0" in log.read_text() and proc.pid_alive(pid)
    finally:
        loopd(repo, "stop", "s1")
    assert wait_for(lambda: not proc.pid_alive(pid), timeout=30)

    log.unlink()
    once = loopd(repo, "start", "s1", "--once")
    assert once.returncode == 0, once.stderr
    pid = _daemon_pid(once.stdout)
    assert wait_for(lambda: not proc.pid_alive(pid), timeout=90), log.read_text()
    assert "loop ended: exit 0" in log.read_text()
    assert "watching" not in log.read_text()
