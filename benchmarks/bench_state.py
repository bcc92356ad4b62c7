"""Benchmark: render + atomic locked write of a realistic LOOP_STATE.md.

A realistic late-sprint state: 300 tests with attempts and evidence refs, 50
learned REPRO commands, every counter and gate.  Prints median and p95 of a
full ``save_state`` (render, lock, check, temp file, fsync, rename, dir fsync)
and of its parts, plus ``load_state`` for reference.  Target: save < 5 ms.

    python benchmarks/bench_state.py [rounds]
"""

from __future__ import annotations

import datetime
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from loopd.fsio import atomic_write
from loopd.state import KNOWN_GATES, LoopState, load_state, render_state, save_state

COUNTERS = (
    "no_progress",
    "impl_no_progress",
    "consecutive_blocked",
    "fixes_since_regression",
    "service_check_attempts",
    "total_service_failures",
    "agent_calls",
)


def realistic_state() -> LoopState:
    """The state of a sprint deep into testing."""
    now = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)
    tests = [f"BT-{n:03d}" for n in range(300)]
    run = ".loopd/2-agentic-core/runs/20250301-120000"
    return LoopState(
        sprint="2-agentic-core",
        phase="testing",
        step="fix",
        iteration=412,
        loop_iteration=97,
        gates=frozenset(KNOWN_GATES),
        counters={name: n * 3 for n, name in enumerate(COUNTERS)},
        cost_usd=48.1375,
        started=now - datetime.timedelta(hours=9),
        updated=now,
        last_task="FIX-BT-117",
        task_no_progress=1,
        fingerprints={"progress": "9f" * 20, "plan": "a3" * 20},
        test_attempts={t: n % 6 for n, t in enumerate(tests)},
        evidence={t: evidence_refs(run, t, n) for n, t in enumerate(tests)},
        test_commands={
            t: f"curl -sf http://localhost:3000/api/items/{n} | jq -e '.id == {n} and .owner'"
            for n, t in enumerate(tests[:50])
        },
    )


def evidence_refs(run: str, test: str, n: int) -> tuple[str, ...]:
    """0 to 3 evidence files of test number ``n``."""
    return tuple(f"{run}/{n * 3 + k:04d}-test-{test}.json" for k in range(n % 4))


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    """Wall time of each of ``rounds`` calls, in milliseconds."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    """One line: median and 95th percentile."""
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{name:<34} median {statistics.median(samples):7.3f} ms   p95 {p95:7.3f} ms")


def main(rounds: int) -> None:
    state = realistic_state()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs" / "sprints" / "s1" / "LOOP_STATE.md"
        lock = Path(tmp) / ".loopd" / "s1" / "lock"
        save_state(path, state, lock)
        print(f"state file: {path.stat().st_size} bytes, {rounds} rounds")
        text = render_state(state)
        report("render_state", timed(lambda: render_state(state), rounds))
        # The durable write alone (two fsyncs): what the disk costs, not loopd.
        report("fsio.atomic_write alone", timed(lambda: atomic_write(path, text), rounds))
        report(
            "save_state (render+lock+write)", timed(lambda: save_state(path, state, lock), rounds)
        )
        report("load_state (parse, libyaml)", timed(lambda: load_state(path), max(rounds // 10, 5)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
