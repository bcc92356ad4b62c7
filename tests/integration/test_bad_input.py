"""Malformed files through the real CLI: exit 1, one line naming file:line, nothing changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.cli import run_cli


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


BROKEN_STATE = "# Loop State\n\n```yaml\nloopd_state:\n  version: 1\n  gates: [vrc1\n```\n"
CASES = {
    "config type": ("loop-config.yaml", "limits:\n  max_test_fix_attempts: lots\n"),
    "config syntax": ("loop-config.yaml", "limits:\n  max_test_fix_attempts: [5\n"),
    "bash config": ("loop-config.sh", "MAX_TEST_FIX_ATTEMPTS=5\nif then fi\n"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_file_fails_cleanly(repo: Path, sprint_dir: Path, case: str) -> None:
    name, content = CASES[case]
    target = sprint_dir / name
    target.write_text(content)
    before = _snapshot(repo)
    result = run_cli(repo, "status", "s1")
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert f"{target.name}:" in lines[0]
    location = lines[0].split(f"{target.name}:", 1)[1].split(":", 1)[0]
    assert location.strip().isdigit(), f"no line number in {lines[0]!r}"
    assert _snapshot(repo) == before


def test_a_broken_state_is_a_warning_in_status_and_refused_by_run(
    repo: Path, sprint_dir: Path
) -> None:
    """status never breaks on a hand-broken or torn file; run refuses it before any write."""
    target = sprint_dir / "LOOP_STATE.md"
    target.write_text(BROKEN_STATE)
    shown = run_cli(repo, "status", "s1")
    assert shown.code == 0, shown
    warnings = [line for line in shown.out.splitlines() if line.startswith("warning")]
    assert any("LOOP_STATE.md:6: " in line for line in warnings), shown.out
    assert target.read_text() == BROKEN_STATE
    before = _snapshot(repo)
    refused = run_cli(repo, "run", "s1")
    assert refused.code == 1
    assert "LOOP_STATE.md:6: " in refused.err
    assert _snapshot(repo) == before


# What loop-v2 leaves in checklists is read with warnings, no longer refused.
TOLERATED = {
    "plan marker": (
        "IMPLEMENTATION_PLAN.md",
        "# Plan\n\n- [ ] **BUILD-001**: ok\n- [?] **BUILD-002**: what marker is this\n",
    ),
    "plan duplicate": (
        "IMPLEMENTATION_PLAN.md",
        "# Plan\n\n- [ ] **BUILD-001**: one\n- [x] **BUILD-001**: again\n",
    ),
    "beta plan annotation": (
        "BETA_TEST_PLAN_v1.md",
        '# Tests\n\n- [ ] **BT-001**: login\n  *(cmd: "curl -f localhost:8000\n',
    ),
}


@pytest.mark.parametrize("case", sorted(TOLERATED))
def test_loop_v2_checklist_oddities_are_read_not_refused(
    repo: Path, sprint_dir: Path, case: str
) -> None:
    name, content = TOLERATED[case]
    (sprint_dir / name).write_text(content)
    before = _snapshot(sprint_dir)
    result = run_cli(repo, "status", "s1")
    assert result.code == 0, result
    assert _snapshot(sprint_dir) == before  # the user's files are not rewritten


@pytest.mark.parametrize("command", ["run", "start"])
def test_a_loop_outside_a_git_repository_is_refused_before_any_write(
    tmp_path: Path, command: str
) -> None:
    plain = tmp_path / "plain"
    sprint = plain / "docs/sprints/s1"
    sprint.mkdir(parents=True)
    (sprint / "VISION.md").write_text("# Vision\n\nGreet people.\n")
    (sprint / "PRD.md").write_text("# PRD\n\nR1. `greet` prints hello.\n")
    before = _snapshot(plain)
    result = run_cli(plain, command, "s1", "--once")
    assert result.code == 1
    # Preflight lists every failure (the agent's too, if any), one line each, then gives up.
    lines = result.err.strip().splitlines()
    assert lines[0] == (
        f"loopd: git: {plain.resolve()}: not a git repository; to fix: run `git init` there first"
    )
    assert "failed before anything was changed" in lines[-1]
    assert _snapshot(plain) == before and not (plain / ".loopd").exists()
