"""events.jsonl: append-only lines, safe across processes, totals per role."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.events import EventLog, RoleTotals, read_events, totals_by_role


def test_appended_events_read_back_in_order(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "s1" / "events.jsonl")
    log.append("transition", phase="planning")
    log.append("agent", role="plan", path=Path("a/b"), note="naïve ✓")
    events = read_events(log.path)
    assert [e["type"] for e in events] == ["transition", "agent"]
    assert events[1]["path"] == "a/b" and events[1]["note"] == "naïve ✓"
    assert all("time" in e for e in events)
    assert log.path.read_text().count("\n") == 2


def test_missing_log_reads_as_empty(tmp_path: Path) -> None:
    assert read_events(tmp_path / "none.jsonl") == []
    assert totals_by_role(tmp_path / "none.jsonl") == {}


def _append_many(path: str, worker: int) -> None:
    log = EventLog(Path(path))
    for n in range(200):
        log.append("agent", role=f"w{worker}", n=n, padding="x" * 3000)


def test_processes_appending_at_once_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.starmap(_append_many, [(str(path), worker) for worker in range(4)])
    events = read_events(path)
    assert len(events) == 800
    for worker in range(4):
        assert [e["n"] for e in events if e["role"] == f"w{worker}"] == list(range(200))


def test_a_torn_last_line_is_skipped_but_a_bad_middle_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    good = json.dumps({"type": "agent", "role": "fix"})
    path.write_text(f'{good}\n{good}\n{{"type": "ag')
    assert len(read_events(path)) == 2
    path.write_text(f"{good}\nnot json\n{good}\n")
    with pytest.raises(LoopdError, match=r"events.jsonl:2: not a JSON event line"):
        read_events(path)


def test_totals_by_role_count_calls_failures_faults_time_and_cost(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    log.append("agent", role="fix", outcome="ok", duration=2.0, cost_usd=0.5)
    log.append("agent", role="fix", outcome="work_failed", duration=1.0, cost_usd=0.25)
    log.append("agent", role="fix", outcome="timeout", duration=300.0, cost_usd=None)
    log.append("agent", role="plan", outcome="rate_limited", duration=0.5, cost_usd=None)
    log.append("transition", role="fix", outcome="ok")
    assert totals_by_role(log.path) == {
        "fix": RoleTotals(calls=3, failures=2, faults=0, duration=303.0, cost_usd=0.75),
        "plan": RoleTotals(calls=1, failures=0, faults=1, duration=0.5, cost_usd=0.0),
    }


def test_a_power_cut_mid_line_breaks_neither_the_next_event_nor_the_reader(
    tmp_path: Path,
) -> None:
    # Before: the next append was glued onto the torn line, and every later read (loopd status)
    # failed with "not a JSON event line" for good.
    log = EventLog(tmp_path / "events.jsonl")
    log.append("agent", role="fix", outcome="ok")
    with log.path.open("ab") as raw:
        raw.write(b'{"time":"2026-01-01T00:00:00","type":"ag')  # the power cut
    log.append("agent", role="plan", outcome="ok")
    log.append("agent", role="plan", outcome="ok")
    assert [e["role"] for e in read_events(log.path)] == ["fix", "plan", "plan"]
    assert log.path.read_bytes().count(b"\n") == 4  # the torn line stands alone


def test_an_event_an_older_loopd_glued_onto_a_torn_line_is_read(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    good = '{"time":"2026-01-01T00:00:01","type":"agent","role":"fix"}'
    path.write_text(f'{good}\n{{"time":"2026-01-01T00:00:00","type":"ag{good}\n{good}\n')
    assert [e["role"] for e in read_events(path)] == ["fix", "fix", "fix"]
    assert totals_by_role(path)["fix"].calls == 3
