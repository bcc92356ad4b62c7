"""loopd demo, end to end through the real CLI: the story it promises happens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli import run_cli


def _demo(target: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loopd", "demo", "--keep", str(target)],
        capture_output=True, text=True, timeout=300, check=False, env={**os.environ, **env},
    )  # fmt: skip


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def test_demo_runs_the_whole_loop_to_full_success(tmp_path: Path) -> None:
    repo = tmp_path / "demo"
    done = _demo(repo)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    sprint = repo / "docs/sprints/demo"
    plan = (sprint / "IMPLEMENTATION_PLAN.md").read_text()
    tests = (sprint / "BETA_TEST_PLAN_v1.md").read_text()
    # The CRAAP gate's fix is in the plan; every task and test is done.
    assert "tally: no such file: FILE" in plan and "- [ ] **" not in tests
    assert all(f"- [x] **BUILD-00{n}**" in plan for n in (1, 2, 3))
    # The failure whose fix needed the evidence: its FIX task says what was seen.
    assert "**FIX-BT-002**" in plan and "assert 2 == 3" in plan
    # The regression the UX fix caused was caught by the interval check and fixed.
    assert "**REG-BT-003**" in plan
    assert "BT-003" in (sprint / "REGRESSION_LOG.md").read_text()
    # Real code, really fixed.
    cli = subprocess.run([sys.executable, "-m", "tally", "tests/sample.txt"], cwd=repo,
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert cli.stdout.strip() == "3 lines, 4 words, 21 chars"
    # Full success archives LOOP_STATE.md; main is untouched, the work is on the loop branch.
    assert not (sprint / "LOOP_STATE.md").exists()
    assert list((repo / ".loopd/demo/archive").glob("LOOP_STATE-*.md"))
    assert _git(repo, "rev-list", "--count", "main").strip() == "1"
    assert _git(repo, "branch", "--show-current").startswith("loop-v2/demo-")
    # The branch ends clean, with the completion as its last commit.
    assert _git(repo, "status", "--porcelain") == ""
    last = _git(repo, "log", "-1", "--format=%s").strip()
    assert last == "loopd(completion): full success (exit 0); LOOP_STATE.md archived under .loopd/"
    events = [json.loads(x) for x in (repo / ".loopd/demo/events.jsonl").read_text().splitlines()]
    prompts = [e["prompt"] for e in events if e["type"] == "agent"]
    assert prompts.count("craap") == 2 and prompts[-1] == "vrc"
    assert "agent calls   fix 3" in done.stdout and "exit code     0" in done.stdout


def test_withholding_evidence_as_loop_v2_did_leaves_the_sprint_partial(tmp_path: Path) -> None:
    repo = tmp_path / "demo"
    done = _demo(repo, LOOPD_POLICY_WITHHOLD_EVIDENCE="true")
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr
    tests = (repo / "docs/sprints/demo/BETA_TEST_PLAN_v1.md").read_text()
    assert "- [B] **BT-002**" in tests and "- [B] **UX-001**" in tests
    assert _git(repo, "status", "--porcelain") == ""
    last = _git(repo, "log", "-1", "--format=%s").strip()
    assert last == "loopd(completion): partial success (exit 2)"


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    result = run_cli(None, "demo", "--keep", str(tmp_path))
    assert result.code == 1 and "directory is not empty" in result.err
    assert (tmp_path / "mine.txt").read_text() == "keep me"
