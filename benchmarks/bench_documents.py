"""Benchmark: one checklist edit on a large document, as the loop does it.

Builds a 1,000-item implementation plan (LF) and a 1,000-test beta test plan
(CRLF, most tests annotated) in a temp directory, then prints median and p95
of:
- read + parse, and read + parse + one marker edit (the CPU part),
- one atomic write alone (temp file, fsync, rename, directory fsync),
- read + parse + one marker edit + atomic write (the target),
- the full ``edit()`` call (lock, re-read, parse, edit, atomic write),
- building every Item (blocks, lines, annotations; not on the edit path).
Target: parse + edit + write under 5 ms for each document.

    python benchmarks/bench_documents.py [rounds]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from loopd import fsio
from loopd.checklist import Checklist, DocKind, Status, edit

TARGET_MS = 5.0
WORDS = ["inbox", "thread", "reply", "draft", "label", "archive", "search", "filter", "webhook"]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))


def item_lines(rng: random.Random, item_id: str) -> list[str]:
    lines = [f"- [{rng.choice('  xxB')}] **{item_id}**: {sentence(rng)}"]
    for _ in range(rng.randint(0, 4)):
        lines.append(f"  - {sentence(rng)}")
    if rng.random() < 0.05:
        lines += ["  ```bash", f"  - [ ] **{item_id}-x**: example inside code", "  ```"]
    return lines


def plan(rng: random.Random) -> str:
    lines = ["# Implementation Plan", ""]
    kinds = [("BUILD", 500), ("INT", 200), ("Task", 200), ("FIX-BT", 100)]
    for kind, count in kinds:
        lines += ["", f"## {kind}", ""]
        for n in range(1, count + 1):
            lines += item_lines(rng, f"Task {n}" if kind == "Task" else f"{kind}-{n:04d}")
    return "\n".join(lines) + "\n"


def beta_plan(rng: random.Random) -> str:
    lines = ["# Beta Test Plan v1", ""]
    for kind, count in (("BT", 600), ("INT", 150), ("VAL", 150), ("UX", 100)):
        lines += ["", f"## {kind} tests", ""]
        for n in range(1, count + 1):
            lines += item_lines(rng, f"{kind}-{n:04d}")
            if rng.random() < 0.5:
                lines.append(f'  *(E2E: "{kind.lower()} \u203a {sentence(rng)}")*')
            elif rng.random() < 0.6:
                lines.append(f'  *(cmd: "curl -fsS localhost:8080/{n} | grep -q "ok"")*')
    return "\r\n".join(lines) + "\r\n"


def measure(label: str, rounds: int, action: Callable[[int], object]) -> tuple[float, float]:
    """Run ``action(round)`` ``rounds`` times; print and return median and p95 in ms."""
    times = []
    for n in range(rounds):
        start = time.perf_counter()
        action(n)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"  {label:<40} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    return median, p95


def bench(name: str, text: str, kind: DocKind, directory: Path, rounds: int) -> bool:
    path, lock = directory / name, directory / "lock"
    fsio.atomic_write(path, text)
    ids = [item.id for item in Checklist.parse(text, kind).items]
    print(
        f"{name}: {len(ids)} items, {len(text.encode()) // 1024} KiB, {text.count(chr(10))} lines"
    )

    def parse(_: int) -> object:
        return Checklist.parse(fsio.read_text(path), kind, path)

    def parse_edit(n: int) -> str:
        checklist = Checklist.parse(fsio.read_text(path), kind, path)
        status = Status.BLOCKED if n % 2 else Status.USER  # always a change, so always a write
        return checklist.set_status(ids[n % len(ids)], status).text

    def write(_: int) -> None:
        fsio.atomic_write(path, text)

    def parse_edit_write(n: int) -> None:
        fsio.atomic_write(path, parse_edit(n))

    def full_edit(n: int) -> None:
        edit(path, kind, lock, lambda c: c.set_status(ids[n % len(ids)], Status.DONE))

    def every_item(_: int) -> object:
        return Checklist.parse(text, kind).items

    measure("read + parse", rounds, parse)
    measure("read + parse + marker edit (no write)", rounds, parse_edit)
    measure("atomic write alone (fsio)", rounds, write)
    median, p95 = measure("read + parse + edit + atomic write", rounds, parse_edit_write)
    measure("edit() (lock, read, parse, edit, write)", rounds, full_edit)
    measure("parse + build every Item", max(rounds // 5, 10), every_item)
    return median < TARGET_MS and p95 < TARGET_MS


def odd_shapes(rounds: int) -> None:
    """Shapes that would be quadratic with a careless block search: parse + every Item."""
    shapes = {
        "20,000 blank lines inside one block": "- [ ] **BT-1**: a\n"
        + "\n" * 20_000
        + "  more\n- [ ] **BT-2**: b\n",
        "4,000 items nested 40 deep": "".join(
            f"{'  ' * (n % 40)}- [ ] **BT-{n}**: a\n" for n in range(4000)
        ),
    }
    print("odd shapes:")
    for label, text in shapes.items():
        measure(
            label,
            max(rounds // 20, 5),
            lambda _, text=text: Checklist.parse(text, DocKind.PLAN).items,
        )


def main(rounds: int) -> None:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        ok = bench("IMPLEMENTATION_PLAN.md", plan(rng), DocKind.PLAN, directory, rounds)
        ok &= bench("BETA_TEST_PLAN_v1.md", beta_plan(rng), DocKind.TEST_PLAN, directory, rounds)
    odd_shapes(rounds)
    print(f"target: parse + edit + write under {TARGET_MS:g} ms: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
