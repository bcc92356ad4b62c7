from __future__ import annotations

import json
from pathlib import Path

from loopd.state import LoopState, save_state
from tests.cli import run_cli

PLAN = """# Implementation plan

- [x] **BUILD-001**: scaffold the app
- [ ] **BUILD-002**: add the login form
- [B] **INT-001**: wire the payment API
- [ ] **Task 3**: write docs
- [U] **SVC-backend**: provide credentials
"""
TESTS = """# Beta test plan

- [x] **BT-001**: home page loads *(cmd: "curl -f localhost:8000")*
- [ ] **BT-002**: login works
- [B] **UX-001**: looks nice
"""
LEGACY_STATE = "# Loop State\n\nphase: 6\niteration: 12\ngates_passed: vrc1,craap,vrc2,\n"


def test_status_of_a_loop_v2_sprint(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(PLAN)
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text(TESTS)
    (sprint_dir / "LOOP_STATE.md").write_text(LEGACY_STATE)
    result = run_cli(repo, "status", "s1")
    assert result.code == 0, result.err
    lines = dict(line.split(None, 1) for line in result.out.splitlines() if line.strip())
    assert lines["phase"].startswith("6   iteration 12")
    assert lines["gates"].startswith("vrc1 craap vrc2  (3/11)")
    assert lines["tasks"] == "1 done · 2 pending · 1 blocked · 1 user  (of 5)"
    assert "BUILD-002: add the login form" in result.out
    assert "BT-002: login works" in result.out


def test_status_json(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(PLAN)
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text(TESTS)
    (sprint_dir / "LOOP_STATE.md").write_text(LEGACY_STATE)
    data = json.loads(run_cli(repo, "status", "s1", "--json").out)
    assert data["gates"] == ["vrc1", "craap", "vrc2"]
    tasks = {"done": 1, "pending": 2, "blocked": 1, "user": 1, "other": 0}
    assert data["tasks"]["by_status"] == tasks
    assert data["tasks"]["by_kind"]["BUILD"] == {"done": 1, "pending": 1}
    tests = {"passed": 1, "pending": 1, "blocked": 1, "user": 0, "other": 0}
    assert data["tests"]["by_status"] == tests
    assert data["next_task"].startswith("BUILD-002") and data["next_test"].startswith("BT-002")
    assert data["iteration"] == 12


def test_fresh_sprint_has_nothing_yet(repo: Path, sprint_dir: Path) -> None:
    result = run_cli(repo, "status", "s1")
    assert result.code == 0
    assert "not started" in result.out and "none yet" in result.out


def test_without_sprint_lists_sprints(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(PLAN)
    other = sprint_dir.parent / "2-core"
    other.mkdir()
    result = run_cli(repo, "status")
    assert result.code == 0
    assert result.out.splitlines()[0].startswith("2-core")
    assert "tasks 1/5" in result.out.splitlines()[1]
    data = json.loads(run_cli(repo, "status", "--json").out)
    assert [s["sprint"] for s in data["sprints"]] == ["2-core", "s1"]


def test_no_sprints_says_how_to_start(repo: Path) -> None:
    result = run_cli(repo, "status")
    assert result.code == 0 and "loopd init" in result.out


def test_unknown_sprint_is_a_clean_error(repo: Path, sprint_dir: Path) -> None:
    result = run_cli(repo, "status", "nope")
    assert result.code == 1
    assert "sprint directory not found" in result.err and "known sprints: s1" in result.err


def test_without_a_daemon_status_says_so_and_shows_the_budgets(
    repo: Path, sprint_dir: Path
) -> None:
    (repo / ".loopd").mkdir()
    (repo / ".loopd/config.yaml").write_text("budgets:\n  max_cost_usd: 5\n")
    result = run_cli(repo, "status", "s1")
    lines = dict(line.split(None, 1) for line in result.out.splitlines() if line.strip())
    assert lines["state"] == "not started" and lines["continue"] == "loopd start s1"
    assert lines["budget"].startswith("agent calls 0 · cost $0.00 of $5.00 · wall time 0s")
    data = json.loads(run_cli(repo, "status", "s1", "--json").out)
    assert data["daemon"] is None and data["recent"] == []
    assert data["budget"]["cost_usd"] == {"used": 0.0, "limit": 5.0}


def test_recent_events_come_from_the_end_of_a_long_log(repo: Path, sprint_dir: Path) -> None:
    log = repo / ".loopd/s1/events.jsonl"
    log.parent.mkdir(parents=True)
    lines = [
        json.dumps({"time": f"2026-01-01T00:00:{n % 60:02d}", "type": "note", "message": f"n{n}"})
        for n in range(5000)
    ]
    torn = '{"time": "2026-01-01T00:01:00", "type": "no'  # its writer died mid-line
    log.write_text("\n".join(lines) + "\n" + torn)
    data = json.loads(run_cli(repo, "status", "s1", "--json").out)
    assert [e["message"] for e in data["recent"]] == [f"n{n}" for n in range(4995, 5000)]
    shown = run_cli(repo, "status", "s1").out
    assert shown.splitlines()[-1] == "  00:00:19 note       n4999"


def test_work_stashed_off_main_is_shown_with_its_restore_command(
    repo: Path, sprint_dir: Path
) -> None:
    command = "git switch main && git stash apply 4d7d4a84312df2e978d0d41182c8bb382325a6d1"
    state = LoopState(sprint="s1", stashed=command)
    save_state(sprint_dir / "LOOP_STATE.md", state, repo / ".loopd/s1/files.lock")
    shown = run_cli(repo, "status", "s1")
    assert f"stashed    your uncommitted work; restore with: {command}" in shown.out
    assert json.loads(run_cli(repo, "status", "s1", "--json").out)["stashed"] == command
    assert f"restore with `{command}`" in (sprint_dir / "LOOP_STATE.md").read_text()


VALUES = """# Value checklist

| # | Deliverable | Value to User | Exists | Works | VALUE | Status |
|---|-------------|---------------|--------|-------|-------|--------|
| 1 | Login | users sign in | [x] | [x] | [x] | |
| 2 | Export | a CSV of orders | [x] | [ ] | [ ] | BLOCKED: B1 |
| 3 | Search | find an order | [x] | [ ] | [ ] | |
| 4 | Audit | a log | [x] | [~] |
"""


def test_status_shows_the_value_tables_counts_and_its_odd_rows(
    repo: Path, sprint_dir: Path
) -> None:
    (sprint_dir / "VALUE_CHECKLIST.md").write_text(VALUES)
    result = run_cli(repo, "status", "s1")
    assert result.code == 0, result.err
    assert "values     1 verified · 1 blocked · 2 open  (of 4 rows)" in result.out
    where = "docs/sprints/s1/VALUE_CHECKLIST.md:8"
    assert f"warning    {where}: 1 of the table's 3 checkbox columns hold no checkbox" in result.out
    assert f"warning    {where}: unknown marker [~]; counted as not verified" in result.out

    data = json.loads(run_cli(repo, "status", "s1", "--json").out)
    values = data["values"]
    assert {k: values[k] for k in ("rows", "verified", "blocked", "open")} == {
        "rows": 4, "verified": 1, "blocked": 1, "open": 2,
    }  # fmt: skip
    assert len(values["warnings"]) == 2 and values["warnings"][0].startswith(where)


def test_status_without_a_value_checklist_says_so(repo: Path, sprint_dir: Path) -> None:
    assert "values     no VALUE_CHECKLIST.md yet" in run_cli(repo, "status", "s1").out
    assert json.loads(run_cli(repo, "status", "s1", "--json").out)["values"] == {}


def test_status_counts_loopds_value_items_when_there_is_no_table(
    repo: Path, sprint_dir: Path
) -> None:
    (sprint_dir / "VALUE_CHECKLIST.md").write_text(
        "- [x] **VAL-1**: sign in\n- [B] **VAL-2**: export, BLOCKED: key\n- [ ] **VAL-3**: x\n"
    )
    assert (
        "values     1 verified · 1 blocked · 1 open  (of 3 items)"
        in run_cli(repo, "status", "s1").out
    )


def test_an_undecodable_value_checklist_is_a_warning_not_a_failed_status(
    repo: Path, sprint_dir: Path
) -> None:
    (sprint_dir / "VALUE_CHECKLIST.md").write_bytes(b"- [x] **VAL-1**: caf\xe9\n")
    result = run_cli(repo, "status", "s1")
    assert result.code == 0, result.err
    assert "values     no value rows yet" in result.out
    assert "warning    docs/sprints/s1/VALUE_CHECKLIST.md:1: not valid UTF-8" in result.out


def test_status_names_each_oddity_it_read_past(repo: Path, sprint_dir: Path) -> None:
    """What doctor warns about is visible in status too (one line each, file:line)."""
    plan = PLAN + "- [ ] **REG-BT-002**: Fix regression in BT-002\n" * 2
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(plan)
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text(TESTS + "- [~] **BT-003**: half done\n")
    (sprint_dir / "loop-config.sh").write_text("BACKEND_PORT=8080\n")

    result = run_cli(repo, "status", "s1")
    assert result.code == 0, result.err
    warnings = [
        line.split(None, 1)[1] for line in result.out.splitlines() if line.startswith("warning")
    ]
    assert any(
        w.startswith("docs/sprints/s1/IMPLEMENTATION_PLAN.md:9: REG-BT-002") for w in warnings
    )
    assert any(
        w.startswith("docs/sprints/s1/BETA_TEST_PLAN_v1.md:6: unknown marker [~]") for w in warnings
    )
    assert any("LOOP_BACKEND_PORT" in w for w in warnings)
    data = json.loads(run_cli(repo, "status", "s1", "--json").out)
    assert data["warnings"] == warnings
