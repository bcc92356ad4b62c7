"""JUnit reports a check command wrote: found, read, and their failures become evidence."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

from loopd.checklist import Item, Status
from loopd.redact import Redactor
from loopd.testengine.checks import Check, CommandRunner
from loopd.testengine.junit import failure_messages, find_reports, named_in

PY = shlex.quote(sys.executable)
FAILING_TEST = """\
def test_total():
    assert sum([1, 2]) == 4, "total is off"

def test_fine():
    assert True
"""


def item(cmd: str) -> Item:
    return Item("BT-001", "BT", Status.PENDING, "t", 1, f"- [ ] **BT-001**: t *(cmd: {cmd})*")


def runner(tmp_path: Path) -> CommandRunner:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return CommandRunner(timeout=60, kill_grace=0.5, redact=Redactor(), scratch=scratch)


def project(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_calc.py").write_text(FAILING_TEST)
    return repo


def run(tmp_path: Path, command: str) -> tuple[str, ...]:
    repo = project(tmp_path)
    observation = runner(tmp_path).run(Check(item(command), "cmd", command, repo))
    assert observation.verdict == "FAIL"
    return observation.lines


def test_a_report_named_in_the_command_is_read(tmp_path: Path) -> None:
    lines = run(tmp_path, f"{PY} -m pytest -q -p no:cacheprovider tests --junitxml=out/r.xml")
    assert len(lines) == 1
    assert "test_total" in lines[0] and "total is off" in lines[0]


def test_the_offered_path_is_read(tmp_path: Path) -> None:
    lines = run(
        tmp_path, f'{PY} -m pytest -q -p no:cacheprovider tests --junitxml "$LOOPD_JUNIT_XML"'
    )
    assert any("total is off" in line for line in lines)


def test_a_fresh_report_file_is_found_without_being_named(tmp_path: Path) -> None:
    script = (
        "cd tests && exec {py} -m pytest -q -p no:cacheprovider . --junit-xml=junit-results.xml"
    )
    lines = run(tmp_path, f"bash -c {shlex.quote(script.format(py=PY))}")
    assert any("total is off" in line for line in lines)


def test_a_stale_report_is_ignored(tmp_path: Path) -> None:
    stale = tmp_path / "report.xml"
    stale.write_text(
        '<testsuite><testcase name="old"><failure message="old news"/></testcase></testsuite>'
    )
    past = time.time() - 3600
    os.utime(stale, (past, past))
    assert find_reports("true", tmp_path, tmp_path / "none.xml", time.time() - 5) == []


def test_a_broken_report_gives_no_messages(tmp_path: Path) -> None:
    broken = tmp_path / "junit.xml"
    broken.write_text("<testsuite><testcase")
    assert failure_messages([broken]) == []


def test_report_paths_named_in_commands() -> None:
    assert named_in("pytest --junitxml=a.xml") == ["a.xml"]
    assert named_in("pytest --junit-xml b.xml -q") == ["b.xml"]
    assert named_in("PLAYWRIGHT_JUNIT_OUTPUT_NAME=c.xml npx playwright test") == ["c.xml"]
    assert named_in("echo 'unbalanced") == []
