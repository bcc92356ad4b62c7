"""*(E2E: "name")* tests: Playwright only in an E2E directory (loop-v2), else the test runner."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from pathlib import Path

import pytest

from loopd.checklist import Checklist, DocKind, Status
from loopd.config import default_config
from loopd.testengine import EvidenceTestEngine
from loopd.testengine.checks import plan_check
from tests.testengine.support import PY, config_for, context, make_project
from tests.testengine.test_rounds import evidence_files, plan_of

# A stand-in for npx: logs each call; "checkout" fails with a JUnit report, as Playwright would.
FAKE_NPX = """\
import json, os, sys
with open(os.environ["NPX_LOG"], "a") as log:
    log.write(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd()}) + "\\n")
if "checkout" in sys.argv:
    with open(os.environ["PLAYWRIGHT_JUNIT_OUTPUT_NAME"], "w") as report:
        report.write(
            '<testsuites><testsuite name="e2e" tests="1" failures="1">'
            '<testcase name="checkout" classname="checkout.spec.ts">'
            '<failure message="expect(locator).toHaveText: expected 3 items, got 2">'
            "Error: expected 3 items, got 2</failure></testcase></testsuite></testsuites>"
        )
    print("  1) checkout.spec.ts:4:1 > checkout", flush=True)
    sys.exit(1)
print("  1 passed (1.2s)")
"""


@pytest.fixture
def npx_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake ``npx`` first on PATH; the file where it logs each call."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npx = bin_dir / "npx"
    (bin_dir / "npx.py").write_text(FAKE_NPX)
    npx.write_text(f'#!/bin/sh\nexec {PY} {shlex.quote(str(bin_dir / "npx.py"))} "$@"\n')
    npx.chmod(0o755)
    log = tmp_path / "npx.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("NPX_LOG", str(log))
    return log


def test_without_an_e2e_directory_an_e2e_test_goes_to_the_test_runner_with_its_annotation(
    repo: Path, sprint_dir: Path, npx_log: Path
) -> None:
    # loop-v2 ran Playwright only when E2E_TEST_DIR was set; without it the agent checked the test.
    tests = ['- [ ] **BT-001**: sign up then log in *(E2E: "signup" + "login")*']
    project = make_project(repo, sprint_dir, plan_of(tests))
    project.rules(
        [
            {
                "name": "runner",
                "when": {"prompt": "test-runner", "test": "BT-001"},
                "do": [{"print": "RESULT: PASS\nEVIDENCE: signed up, then logged in"}],
            }
        ]
    )
    config = config_for(project)
    assert config.tests.e2e_test_dir is None, "unset by default, as in loop-v2"

    EvidenceTestEngine().iteration(context(project, config))

    assert not npx_log.exists(), "Playwright must not run without an E2E directory"
    assert project.status("BT-001") is Status.DONE
    assert [c["role"] for c in project.agent_calls()] == ["test"]
    (prompt,) = project.prompts("test")
    assert '*(E2E: "signup" + "login")*' in prompt


def test_with_an_e2e_directory_playwright_runs_there_with_the_line_reporter(
    repo: Path, sprint_dir: Path, npx_log: Path
) -> None:
    tests = [
        '- [ ] **BT-001**: log in *(E2E: "login works")*',
        '- [ ] **BT-002**: buy three items *(E2E: "checkout")*',
    ]
    project = make_project(repo, sprint_dir, plan_of(tests))
    (repo / "e2e").mkdir()
    project.rules([{"name": "fix", "when": {"prompt": "fix"}, "do": [{"print": "no idea"}]}])
    config = config_for(project, tests__e2e_test_dir="e2e", limits__max_test_fix_attempts=1)

    EvidenceTestEngine().iteration(context(project, config))

    calls = [json.loads(line) for line in npx_log.read_text().splitlines()]
    assert {(tuple(c["argv"]), Path(c["cwd"]).name) for c in calls} == {
        (("playwright", "test", "-g", "login works", "--reporter=line,junit"), "e2e"),
        (("playwright", "test", "-g", "checkout", "--reporter=line,junit"), "e2e"),
    }
    assert project.status("BT-001") is Status.DONE
    assert project.status("BT-002") is Status.BLOCKED
    (record,) = evidence_files(project)
    assert record["how"] == "e2e"
    assert "expected 3 items, got 2" in str(record["lines"]), "the JUnit failure is evidence"
    assert [c["role"] for c in project.agent_calls()] == [], "no agent checks an E2E test"


@pytest.mark.parametrize("e2e_dir", [None, ""])
def test_an_unset_or_empty_e2e_directory_means_the_test_runner(
    tmp_path: Path, e2e_dir: str | None
) -> None:
    # bash `E2E_TEST_DIR=""` is unset to loop-v2's `[[ -n "${E2E_TEST_DIR:-}" ]]`.
    text = '# Beta\n\n- [ ] **BT-001**: log in *(E2E: "login works")*\n'
    (item,) = Checklist.parse(text, DocKind.TEST_PLAN).items
    tests = dataclasses.replace(default_config().tests, e2e_test_dir=e2e_dir)
    config = dataclasses.replace(default_config(), tests=tests)
    learned = {"BT-001": "curl -sf localhost:3000/login"}

    assert plan_check(item, config, tmp_path, {}).how == "agent"
    assert plan_check(item, config, tmp_path, learned).command == learned["BT-001"]
