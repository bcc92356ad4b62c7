"""Saving under real processes that die: a killed lock holder, a writer killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.state import LoopState, load_state, parse_state, save_state

REPO = Path(__file__).resolve().parents[1]


def numbered_state(n: int) -> LoopState:
    """A large state whose every part says ``n``: a torn mix of two would show."""
    tests = [f"BT-{i:03d}" for i in range(300)]
    return LoopState(
        sprint="s",
        iteration=n,
        test_attempts=dict.fromkeys(tests, n),
        evidence={t: (f".loopd/s/runs/{n}/{t}.json",) * 3 for t in tests},
        test_commands={t: f"check --round {n} {t}" for t in tests[:50]},
    )


def write_forever(path: str, lock: str) -> None:
    """Child process body: save alternating states until killed."""
    states = [numbered_state(0), numbered_state(1)]
    save_state(Path(path), states[0], Path(lock))
    print("writing", flush=True)
    n = 1
    while True:
        save_state(Path(path), states[n % 2], Path(lock))
        n += 1


def child(code: str, *args: str) -> subprocess.Popen[str]:
    """A Python child importing this repo's loopd and tests, reporting on stdout."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, env=env
    )


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def test_lock_of_a_killed_holder_never_blocks_a_save(
    tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    path, lock = tmp_path / "LOOP_STATE.md", tmp_path / "runtime" / "lock"
    save_state(path, LoopState(phase="before"), lock)
    holder = child(
        "import sys, time; from pathlib import Path; from loopd import fsio\n"
        "with fsio.locked(Path(sys.argv[1])):\n"
        "    print('held', flush=True); time.sleep(60)",
        str(lock),
    )
    children.append(holder)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(LoopdError, match="timed out"):
        save_state(path, LoopState(phase="blocked"), lock, lock_timeout=0.1)
    assert load_state(path).phase == "before"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    # A timeout far below any stale-lock wait: the kernel released the flock.
    save_state(path, LoopState(phase="after"), lock, lock_timeout=0.2)
    assert load_state(path).phase == "after"


@pytest.mark.parametrize("delay", [0.0, 0.003, 0.011, 0.029, 0.07])
def test_writer_killed_mid_write_leaves_old_or_new_state(
    tmp_path: Path, children: list[subprocess.Popen[str]], delay: float
) -> None:
    path, lock = tmp_path / "sprint" / "LOOP_STATE.md", tmp_path / "lock"
    writer = child(
        "import sys; from tests.test_state_crash import write_forever\n"
        "write_forever(*sys.argv[1:])",
        str(path),
        str(lock),
    )
    children.append(writer)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    time.sleep(delay)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    state = parse_state(path.read_text(encoding="utf-8"), path)
    assert state == numbered_state(state.iteration)
    assert state.iteration in (0, 1)
    # The next loopd saves at once, and over whatever the dead one left.
    save_state(path, numbered_state(2), lock, lock_timeout=0.5)
    assert load_state(path) == numbered_state(2)
