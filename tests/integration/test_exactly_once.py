"""Exactly once under kill -9: a run killed right after any durable write ends as if never killed.

Each test kills a real ``loopd run`` (SIGKILL, sent by loopd to itself through
the ``LOOPD_CRASH_AT`` seam) right after one durable write, resumes it with
``loopd run``, and compares what the sprint ended as -- exit code, plan, test
plan, state, commits, agent calls -- with an uncrashed run of the same
scenario.  The points are found in the uncrashed run's trace of its writes,
so they stay right as the code moves.

The first tests are the kill points issue 13 found wrong (and the agent
call's events line); they run always (40 s; 100 s on a 2-core machine shared
with other work).
The last kills at every write point of two whole scenarios (the greeter
sprint, about 330 writes, and the wordcount sprint whose final sweep finds a
regression, about 230): a full run per point, about 40 and 15 minutes (twice
that on the shared machine), so it runs only with ``LOOPD_KILL_EVERY_WRITE=1``
(``pytest -m kill_every_write``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.integration import killpoints
from tests.integration.killpoints import End
from tests.integration.sprints import events, prompts, text


def _nth(points: list[str], name: str, before: int) -> str:
    """``name:n`` for the last write named ``name`` before position ``before``."""
    count = points[:before].count(name)
    assert count, f"no {name} before write #{before}"
    return f"{name}:{count}"


def _agent_write(points: list[str], repo: Path, prompt: str) -> int:
    """Position in ``points`` of the events line of the first agent call with ``prompt``."""
    calls = prompts(repo)
    index = calls.index(prompt)
    positions = [n for n, name in enumerate(points) if name == "event:agent"]
    return positions[index]


def _same(got: End, expected: End) -> None:
    assert got.outcome == expected.outcome
    assert got.commits == expected.commits
    assert got.agent_calls == expected.agent_calls


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[End, list[str], Path]:
    path = tmp_path_factory.mktemp("regression") / "clean"
    end, points = killpoints.write_points(path, "regression", **_TWO_ATTEMPTS)
    return end, points, path


_TWO_ATTEMPTS = {"LOOPD_MAX_TEST_FIX_ATTEMPTS": "2"}


def test_a_kill_in_the_final_sweep_after_it_reset_a_regressed_test_still_goes_back(
    tmp_path: Path, regression_run: tuple[End, list[str], Path]
) -> None:
    expected, points, _ = regression_run
    assert expected.outcome.code == 0
    sweep = points.index("event:regression")
    # The regressed test is back to [ ]: the last test plan write before the sweep's event.
    at = _nth(points, "write:BETA_TEST_PLAN_v1.md", sweep)
    got = killpoints.killed_at(tmp_path / "killed", "regression", at, **_TWO_ATTEMPTS)
    assert "- [x] **BT-001**" in got.outcome.tests  # re-tested and passing, not left [ ]
    _same(got, expected)


@pytest.fixture(scope="module")
def greeter_run(tmp_path_factory: pytest.TempPathFactory) -> End:
    end, _ = killpoints.write_points(tmp_path_factory.mktemp("greeter") / "clean", "greeter")
    return end


def test_a_kill_between_archiving_the_state_and_the_last_commit_finishes_the_end(
    tmp_path: Path, greeter_run: End
) -> None:
    got = killpoints.killed_at(tmp_path / "killed", "greeter", "unlink:LOOP_STATE.md")
    _same(got, greeter_run)  # no sprint run again: no extra calls, no duplicate commits
    archive = tmp_path / "killed" / ".loopd" / "s1" / "archive"
    assert len(list(archive.glob("LOOP_STATE-*.md"))) == 1


def test_a_kill_after_an_agent_call_is_logged_does_not_make_the_call_again(
    tmp_path: Path, greeter_run: End
) -> None:
    # The events line of the third call (the plan's CRAAP gate): its checkpoint is saved first.
    got = killpoints.killed_at(tmp_path / "killed", "greeter", "event:agent:3")
    _same(got, greeter_run)


def test_a_kill_between_a_failed_test_and_its_fix_does_not_count_the_attempt_twice(
    tmp_path: Path, regression_run: tuple[End, list[str], Path]
) -> None:
    expected, points, clean = regression_run
    # The round commits the failure (FIX-BT-001 opened) right before the fix call.
    at = _nth(points, "commit", _agent_write(points, clean, "fix"))
    got = killpoints.killed_at(tmp_path / "killed", "regression", at, **_TWO_ATTEMPTS)
    assert got.outcome.code == 0, "the fix ran as attempt 2 and the test was blocked"
    _same(got, expected)


def test_a_kill_after_a_test_passes_but_before_its_fix_task_closes_closes_it(
    tmp_path: Path, regression_run: tuple[End, list[str], Path]
) -> None:
    expected, points, clean = regression_run
    fix = _agent_write(points, clean, "fix")
    marked = points.index("write:BETA_TEST_PLAN_v1.md", fix)  # BT-001 [x] after the fix
    at = _nth(points, "write:BETA_TEST_PLAN_v1.md", marked + 1)
    got = killpoints.killed_at(tmp_path / "killed", "regression", at, **_TWO_ATTEMPTS)
    assert "- [x] **FIX-BT-001**" in got.outcome.plan
    _same(got, expected)


def test_the_uncrashed_regression_scenario_is_what_the_kill_tests_expect(
    regression_run: tuple[End, list[str], Path],
) -> None:
    """The scenario regresses in the final sweep and fixes it (else the above prove nothing)."""
    expected, _, clean = regression_run
    assert any(e["type"] == "regression" and e["regressions"] for e in events(clean))
    assert "- [x] **REG-BT-001**" in text(clean, "IMPLEMENTATION_PLAN.md")
    assert "- [x] **FIX-BT-001**" in text(clean, "IMPLEMENTATION_PLAN.md")
    assert expected.outcome.code == 0


@pytest.mark.kill_every_write
@pytest.mark.skipif(
    not os.environ.get("LOOPD_KILL_EVERY_WRITE"),
    reason="a full run per write point: set LOOPD_KILL_EVERY_WRITE=1",
)
@pytest.mark.parametrize("scenario", ["greeter", "regression"])
def test_a_kill_after_every_durable_write_ends_as_the_uncrashed_run(
    tmp_path: Path, scenario: str
) -> None:
    expected, points = killpoints.write_points(tmp_path / "clean", scenario)
    wrong = []
    for k, name in enumerate(points, start=1):
        got = killpoints.killed_at(tmp_path / f"k{k}", scenario, f"#{k}")
        if got != expected:
            wrong.append(f"#{k} {name}")
    assert not wrong, f"{len(wrong)} of {len(points)} kill points end differently: {wrong}"
