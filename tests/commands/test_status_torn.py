"""``loopd status`` never breaks on a torn file: events.jsonl, status.json, LOOP_STATE.md.

A power cut or a kill can cut any of them short; status shows what it can and
names the file (and line) it could not read, with the way out.
"""

from __future__ import annotations

import json
from pathlib import Path

from loopd.events import EventLog
from tests.cli import run_cli

PLAN = "# Plan\n\n- [x] **BUILD-001**: a\n- [ ] **BUILD-002**: b\n"
STATE = "phase: 6\niteration: 12\ngates_passed: vrc1,\n"


def _status(repo: Path) -> dict[str, object]:
    result = run_cli(repo, "status", "s1", "--json")
    assert result.code == 0, result.err
    data: dict[str, object] = json.loads(result.out)
    return data


def _events(repo: Path) -> EventLog:
    return EventLog(repo / ".loopd/s1/events.jsonl")


def test_a_torn_event_line_appended_to_leaves_status_working(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(PLAN)
    log = _events(repo)
    log.append("agent", role="implement", outcome="ok", cost_usd=0.5)
    with log.path.open("ab") as raw:
        raw.write(b'{"time":"2026-01-01T00:00:00","type":"agent","ro')  # the power cut
    log.append("agent", role="implement", outcome="ok", cost_usd=0.25)
    data = _status(repo)
    agents = data["agents"]
    assert isinstance(agents, dict) and agents["implement"]["calls"] == 2
    assert run_cli(repo, "status", "s1").code == 0


def test_a_line_that_is_not_an_event_is_named_and_status_goes_on(
    repo: Path, sprint_dir: Path
) -> None:
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(PLAN)
    log = _events(repo)
    log.append("agent", role="implement", outcome="ok")
    with log.path.open("a") as raw:
        raw.write("some text an editor left\n")
    log.append("agent", role="implement", outcome="ok")
    data = _status(repo)
    assert data["agents"] == {}
    assert ".loopd/s1/events.jsonl:2: not a JSON event line" in data["warnings"]  # type: ignore[operator]


def test_a_torn_status_json_leaves_status_working(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "LOOP_STATE.md").write_text(STATE)
    runtime = repo / ".loopd/s1"
    runtime.mkdir(parents=True, exist_ok=True)
    (runtime / "status.json").write_text('{"run": {"started": "2026-01-01T0')
    data = _status(repo)
    assert data["iteration"] == 12
    result = run_cli(repo, "status", "s1")
    assert result.code == 0 and "budget" in result.out.lower()


def test_an_empty_state_file_is_named_with_the_way_out(repo: Path, sprint_dir: Path) -> None:
    # Before: `loopd status` failed with the state file's error and showed nothing else.
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(PLAN)
    (sprint_dir / "LOOP_STATE.md").write_text("")
    result = run_cli(repo, "status", "s1")
    assert result.code == 0, result.err
    assert "docs/sprints/s1/LOOP_STATE.md:1: is empty" in result.out
    assert ".loopd/s1/archive/" in result.out and "BUILD-002: b" in result.out
    (sprint_dir / "LOOP_STATE.md").write_bytes(STATE.encode()[:9] + b"\xff")  # cut mid-character
    data = _status(repo)
    assert any("LOOP_STATE.md: not valid UTF-8" in w for w in data["warnings"])  # type: ignore[attr-defined]
