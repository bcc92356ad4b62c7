"""Evidence records on disk: numbered beside the agent calls, bounded, read back whole."""

from __future__ import annotations

from pathlib import Path

from loopd.testengine.evidence import Observation, RunFiles, bounded


def observation(output: str, **changes: object) -> Observation:
    fields: dict[str, object] = {
        "test_id": "BT-001",
        "verdict": "FAIL",
        "how": "cmd",
        "command": "make check",
        "exit_code": 2,
        "timed_out": False,
        "duration": 1.25,
        "lines": ("tests.test_a: AssertionError: boom",),
        "output": output,
        **changes,
    }
    return Observation(**fields)  # type: ignore[arg-type]


def test_long_output_keeps_its_head_and_tail(tmp_path: Path) -> None:
    text = "\n".join(f"line {n}" for n in range(1, 1001))
    short = bounded(text)
    assert short.startswith("line 1\n") and short.endswith("line 1000")
    assert "890 line(s) left out" in short
    assert bounded("just this") == "just this"


def test_records_take_the_next_number_of_the_run_directory(tmp_path: Path) -> None:
    run_dir = tmp_path / "repo" / ".loopd" / "s1" / "runs" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "007-fix-BT-001.prompt.md").write_text("an agent call's prompt")
    files = RunFiles(tmp_path / "repo", run_dir)

    record = files.save_evidence(
        observation("full output\n" * 3), role="test", attempt=2, trigger="retest", time="t"
    )

    assert record.path == ".loopd/s1/runs/r1/008-test-BT-001.evidence.json"
    assert (tmp_path / "repo" / record.log_path).read_text() == "full output\n" * 3
    assert files.evidence(record.path) == record


def test_the_prompt_view_carries_the_runner_repro(tmp_path: Path) -> None:
    files = RunFiles(tmp_path, tmp_path / "runs")
    record = files.save_evidence(
        observation("out", how="agent", repro="curl -sf :8000/x"),
        role="test",
        attempt=1,
        trigger="test",
        time="t",
    )
    evidence = record.to_prompt()
    assert evidence.lines[-1] == "REPRO (from the test runner): curl -sf :8000/x"
    assert evidence.signature == "AssertionError: boom"


def test_a_timeout_says_so_in_one_line() -> None:
    hung = observation("waiting for db", timed_out=True, exit_code=None, duration=120.0, lines=())
    assert hung.short() == "timed out after 120 s: waiting for db"
    silent = observation("", lines=())
    assert silent.short() == "FAIL, exit 2, no output"
