"""A LOOP_STATE.md loopd cannot act on stops the run with one clear line; nothing re-plans.

Before: an empty file was a fresh state (the whole sprint planned again) and an
unknown ``step:`` restarted at the top, both without a word.
"""

from __future__ import annotations

from pathlib import Path

from loopd.state import LoopState, render_state
from tests.integration.sprints import install, loopd, notes, prompts, work


def test_an_empty_state_file_stops_the_run_and_offers_the_archive(repo: Path) -> None:
    sprint = install(repo, "greeter")
    (sprint / "LOOP_STATE.md").write_text("")
    done = loopd(repo, "run", "s1", "--once")
    assert done.returncode != 0
    assert "docs/sprints/s1/LOOP_STATE.md:1: is empty" in done.stderr
    assert ".loopd/s1/archive/" in done.stderr and "delete it" in done.stderr
    assert prompts(repo) == [] and (sprint / "LOOP_STATE.md").read_text() == ""


def test_an_unknown_step_is_an_error_naming_the_file_and_line(repo: Path) -> None:
    sprint = install(repo, "greeter")
    text = render_state(LoopState(step="implment", phase="implment", gates=frozenset({"vrc1"})))
    (sprint / "LOOP_STATE.md").write_text(text)
    line = text.splitlines().index("step: implment") + 1
    done = loopd(repo, "run", "s1", "--once")
    assert done.returncode != 0
    assert f"docs/sprints/s1/LOOP_STATE.md:{line}: unknown step 'implment'" in done.stderr
    assert prompts(repo) == [] and (sprint / "LOOP_STATE.md").read_text() == text


def test_loop_v2_s_three_state_lines_still_resume(repo: Path) -> None:
    sprint = install(repo, "greeter")
    (sprint / "LOOP_STATE.md").write_text("phase: 1\niteration: 0\ngates_passed: \n")
    done = loopd(repo, "run", "s1", "--once")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_task_whose_bold_is_never_closed_is_implemented_not_dropped(repo: Path) -> None:
    # Before: "- [ ] **BUILD-002: ..." was no item; the sprint ended "full success" without it.
    install(repo, "greeter")
    script = repo / ".loopd/replay.yaml"
    text = script.read_text()
    script.write_text(text.replace("- [ ] **BUILD-002**: make", "- [ ] **BUILD-002: make"))
    done = loopd(repo, "run", "s1", "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    assert prompts(repo).count("implement") == 2  # BUILD-001, then BUILD-002
    assert (work(repo) / "greet.py").read_text() == "def greet():\n    return 'hello'\n"
    assert any('"**BUILD-002" is not closed by "**"' in note for note in notes(repo))
