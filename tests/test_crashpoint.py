"""The kill seam: loopd dies right after the named durable write, and only loopd."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WRITES = """
import os, subprocess, sys
from pathlib import Path
from loopd import fsio
out = Path(sys.argv[1])
fsio.atomic_write(out, "one")
fsio.atomic_write(out, "two")
# A child (an agent) sees none of the seam's variables.
child = subprocess.run([sys.executable, "-c", "import os; print(os.environ.get('LOOPD_CRASH_AT'))"],
                       capture_output=True, text=True)
fsio.atomic_write(out.with_name("child.txt"), child.stdout)
"""


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LOOPD_")}
    return subprocess.run(
        [sys.executable, "-c", WRITES, str(tmp_path / "out.txt")],
        env={**base, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_crash_at_a_named_write_kills_right_after_it(tmp_path: Path) -> None:
    done = _run(tmp_path, LOOPD_CRASH_AT="write:out.txt:1")
    assert done.returncode == -9
    assert (tmp_path / "out.txt").read_text() == "one"  # written, and nothing after it


def test_crash_at_the_kth_write_and_the_trace_of_every_write(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    done = _run(tmp_path, LOOPD_CRASH_TRACE=str(trace))
    assert done.returncode == 0
    assert trace.read_text().splitlines() == ["write:out.txt", "write:out.txt", "write:child.txt"]
    assert (tmp_path / "child.txt").read_text() == "None\n"  # not passed to children
    assert _run(tmp_path, LOOPD_CRASH_AT="#2").returncode == -9
    assert (tmp_path / "out.txt").read_text() == "two"
