"""The one stuck detector: steady progress never trips it; no progress always ends the loop.

Each sprint starts where loop-v2 would have left it after planning (a
loop-v2 LOOP_STATE.md with the planning gates passed), runs with the real
test engine and an in-process replay agent, and MAX_LOOP_ITERATIONS far out
of reach: when a loop without progress ends, the detector (or the loop's
own limits) ended it, not the safety net.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from loopd.engine import machine
from loopd.engine.context import Context
from loopd.engine.spec import load_spec
from loopd.testengine import EvidenceTestEngine
from tests.engine.support import context, replay_config, write_script

SD = "$LOOPD_SPRINT_DIR"
PLANNED = (
    "# Loop State\n\nphase: 5\niteration: 0\n"
    "gates_passed: vrc1,craap,clarity,validate,connect,tidy,planning,vrc2,preflight,\n"
)
FAR = 10_000


def _sprint(sprint_dir: Path, tasks: int, tests: int, *, agent_tests: bool = True) -> None:
    plan = "".join(f"- [ ] **BUILD-{n:03d}**: part {n}\n" for n in range(1, tasks + 1))
    how = "" if agent_tests else ' *(cmd: "false")*'
    beta = "".join(f"- [ ] **BT-{n:03d}**: check {n}{how}\n" for n in range(1, tests + 1))
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text("# Plan\n\n" + plan)
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text("# Tests\n\n" + beta)
    (sprint_dir / "LOOP_STATE.md").write_text(PLANNED)


def _flip(marker: str) -> str:
    """A shell command marking the call's task done in the plan."""
    return (
        f'sed -i "s/- \\[ \\] \\*\\*$LOOPD_TASK_ID\\*\\*/- [{marker}] **$LOOPD_TASK_ID**/" '
        f'"{SD}/IMPLEMENTATION_PLAN.md"'
    )


def _run(repo: Path, rules: list[dict[str, Any]], **limits: int) -> Context:
    limits = {"max_loop_iterations": FAR, "spot_check_probability": 0, **limits}
    config = replay_config(write_script(repo, rules), **limits)
    ctx = context(repo, config, inline=True, tests_engine=EvidenceTestEngine(random.Random(0)))
    machine.run(load_spec(), ctx, on_step=lambda _: None)
    return ctx


def _events(repo: Path) -> list[dict[str, Any]]:
    lines = (repo / ".loopd/s1/events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _visited(repo: Path) -> list[str]:
    return [e["dest"] for e in _events(repo) if e["type"] == "transition"]


def test_steady_progress_never_trips_the_detector(repo: Path, sprint_dir: Path) -> None:
    _sprint(sprint_dir, tasks=30, tests=30)
    rules = [
        {"name": "build", "when": {"prompt": "implement"}, "do": [{"run": _flip("x")}]},
        {"name": "test", "when": {"prompt": "test-runner"}, "do": [{"print": "RESULT: PASS"}]},
        {"name": "vrc", "when": {"vrc": "final"}, "do": [{"print": "VISION: DELIVERED"}]},
        {"name": "rest", "do": [{"print": "ok"}]},
    ]
    # The most trigger-happy setting: a single pass without progress would trip it.
    ctx = _run(repo, rules, max_no_progress=1)

    assert ctx.state.exit_code == 0
    visited = _visited(repo)
    calls = [e["prompt"] for e in _events(repo) if e["type"] == "agent"]
    assert calls.count("implement") == 30 and ctx.state.iteration == 30
    assert "value_discovery" not in visited and "force_block" not in visited
    assert ctx.state.counter("stuck_level") == 0


def _never(repo: Path, rules: list[dict[str, Any]]) -> tuple[Context, list[str]]:
    """Run a sprint that makes no progress; it must end, and not by the safety net."""
    ctx = _run(repo, rules)
    reason = ctx.state.stop_reason or ""
    assert ctx.state.exit_code is not None or reason.startswith("stuck:"), reason
    assert "MAX_LOOP_ITERATIONS" not in reason
    assert ctx.state.loop_iteration < 60
    return ctx, _visited(repo)


def test_implement_that_never_progresses_ends(repo: Path, sprint_dir: Path) -> None:
    _sprint(sprint_dir, tasks=3, tests=2, agent_tests=False)
    ctx, visited = _never(repo, [{"name": "idle", "do": [{"print": "I looked at it"}]}])
    # Each task blocked after MAX_IMPL_NO_PROGRESS tries, each test after its
    # fix attempts; the final VRC's retries of the blocked BUILD tasks are
    # what the detector ends, after its whole ladder.
    assert "- [B] **BUILD-003**" in (sprint_dir / "IMPLEMENTATION_PLAN.md").read_text()
    assert (ctx.state.stop_reason or "").startswith("stuck:")
    assert visited.index("value_discovery") < visited.index("force_block")


def test_tests_that_never_pass_end(repo: Path, sprint_dir: Path) -> None:
    _sprint(sprint_dir, tasks=1, tests=3)
    rules = [
        {"name": "build", "when": {"prompt": "implement"}, "do": [{"run": _flip("x")}]},
        {"name": "test", "when": {"prompt": "test-runner"}, "do": [{"print": "RESULT: FAIL"}]},
        {"name": "rest", "do": [{"print": "tried a fix"}]},
    ]
    ctx, _ = _never(repo, rules)
    # The test engine blocks each test after its fix attempts: a partial end.
    assert ctx.state.exit_code == 2
    assert "[B] **BT-003**" in (sprint_dir / "BETA_TEST_PLAN_v1.md").read_text()


def test_discovery_that_adds_work_that_never_progresses_ends(repo: Path, sprint_dir: Path) -> None:
    _sprint(sprint_dir, tasks=1, tests=1)
    discover = (
        "n=$(( $(cat .found 2>/dev/null || echo 0) + 1 )); echo $n > .found; "
        f'printf -- "- [ ] **Task %s**: value found %s\\n" $n $n >> "{SD}/IMPLEMENTATION_PLAN.md"'
    )
    rules = [
        {"name": "found", "when": {"prompt": "discover*"}, "do": [{"run": discover}]},
        {"name": "test", "when": {"prompt": "test-runner"}, "do": [{"print": "RESULT: FAIL"}]},
        {"name": "rest", "do": [{"print": "nothing changed"}]},
    ]
    ctx, visited = _never(repo, rules)
    found = int((repo / ".found").read_text())
    assert found >= 2 and (ctx.state.stop_reason or "").startswith("stuck:")
    assert visited.index("value_discovery") < visited.index("force_block")
