"""Any **<UPPER>-<digits>** item of the beta test plan is a test: run, counted, waited for.

loop-v2 runs every ``- [ ] **<UPPER>-<digits>**:`` line of BETA_TEST_PLAN_v1.md
(SEC-001, EDGE-001, CP-001 ...), not only BT/INT/VAL/UX, and never reports
success while one is pending.  These run the greeter sprint through the real
CLI with a beta plan of such tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.cli import run_cli
from tests.integration.sprints import install, loopd, sprint_dir, state, text

BETA_PLAN = """# Beta test plan

- [ ] **BT-001**: greet.py exists *(cmd: "test -f greet.py")*
- [ ] **SEC-001**: no secret in greet.py *(cmd: "{sec}")*
- [ ] **EDGE-001**: greet() takes no argument *(cmd: "{edge}")*
"""
PASSES = "python3 -c 'import greet; greet.greet()'"


def _with_beta_plan(repo: Path, sec: str, edge: str) -> None:
    replay = repo / ".loopd" / "replay.yaml"
    script = yaml.safe_load(replay.read_text())
    for rule in script["rules"]:
        if rule["name"] == "beta-plan":
            rule["do"][0]["write"]["content"] = BETA_PLAN.format(sec=sec, edge=edge)
    replay.write_text(yaml.safe_dump(script, sort_keys=False))


def test_sec_and_edge_tests_are_run_and_then_the_sprint_succeeds(repo: Path) -> None:
    install(repo, "greeter")
    _with_beta_plan(repo, "! grep -q secret greet.py", PASSES)
    done = loopd(repo, "run", "s1", "--once")

    assert done.returncode == 0, done.stdout + done.stderr
    tests = text(repo, "BETA_TEST_PLAN_v1.md")
    assert "- [x] **SEC-001**" in tests and "- [x] **EDGE-001**" in tests
    assert "- [ ] **" not in tests


def test_a_failing_edge_test_never_ends_in_full_success(repo: Path) -> None:
    install(repo, "greeter")
    _with_beta_plan(repo, "! grep -q secret greet.py", "false")
    done = loopd(repo, "run", "s1", "--once", env={"LOOPD_MAX_TEST_FIX_ATTEMPTS": "1"})

    assert done.returncode != 0, done.stdout + done.stderr
    assert "full success" not in done.stdout
    assert (sprint_dir(repo) / "LOOP_STATE.md").exists()  # not archived
    assert state(repo).exit_code in (1, 2)
    tests = text(repo, "BETA_TEST_PLAN_v1.md")
    assert "- [x] **SEC-001**" in tests and "- [ ] **EDGE-001**" not in tests


def test_status_counts_the_tests_the_engine_runs(repo: Path) -> None:
    sprint = install(repo, "greeter")
    (sprint / "BETA_TEST_PLAN_v1.md").write_text(
        "- [x] **BT-001**: a\n- [ ] **SEC-001**: b\n- [~] **EDGE-001**: c\n"
        "- [ ] **FIX-BT-001**: a task written here by an agent\n"
    )
    result = run_cli(repo, "status", "s1", "--json")
    assert result.code == 0, result.err
    tests = json.loads(result.out)["tests"]
    assert tests["by_status"] == {"passed": 1, "pending": 1, "blocked": 0, "user": 0, "other": 1}
    assert set(tests["by_kind"]) == {"BT", "SEC", "EDGE"}
    assert json.loads(result.out)["next_test"] == "SEC-001: b"
