"""Completion's exit code counts the beta plan's tests as the test engine runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.engine.steps import completion
from tests.engine.support import context, replay_config, write_script

RULES = [{"name": "any", "do": [{"result": {"text": "ok"}}]}]


@pytest.mark.parametrize(
    ("beta", "code"),
    [
        ("- [x] **BT-001**: a\n- [x] **SEC-001**: b\n", 0),
        ("- [x] **BT-001**: a\n- [ ] **SEC-001**: b\n", 1),
        ("- [x] **BT-001**: a\n- [ ] **EDGE-001**: b\n- [B] **CP-001**: c\n", 1),
        ("- [x] **BT-001**: a\n- [B] **PERF-002**: b\n", 2),
        # Neither run nor passed: never a full success.
        ("- [x] **BT-001**: a\n- [~] **SEC-001**: b\n", 2),
        # A duplicate whose later line is pending keeps the test pending.
        ("- [x] **BT-001**: a\n- [ ] **BT-001**: a\n", 1),
    ],
)
def test_exit_code_from_the_beta_plan(repo: Path, beta: str, code: int) -> None:
    sprint_dir = repo / "docs/sprints/s1"
    sprint_dir.mkdir(parents=True)
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text(beta)
    ctx = context(repo, replay_config(write_script(repo, RULES)))
    assert completion.exit_code(ctx) == code
