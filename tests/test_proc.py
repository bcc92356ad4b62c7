"""The subprocess seam: own session, escalation, nothing left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from loopd import proc


def _pids_in_group(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_run_captures_output_and_feeds_stdin() -> None:
    done = proc.run(
        [sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"], input="hello ✓"
    )
    assert done.ok and done.stdout == "HELLO ✓\n" and not done.timed_out


def test_child_runs_in_its_own_session() -> None:
    done = proc.run([sys.executable, "-c", "import os; print(os.getsid(0), os.getpid())"])
    sid, pid = done.stdout.split()
    assert sid == pid and int(sid) != os.getsid(0)


def test_timeout_escalates_and_kills_stubborn_descendants(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    script = (
        "trap '' INT TERM; "
        f"(trap '' INT TERM; sleep 300) & echo $! >> {pidfile}; "
        f"echo $$ >> {pidfile}; echo started; sleep 300"
    )
    ladder = proc.Escalation(steps=((signal.SIGINT, 0.2), (signal.SIGTERM, 0.2)))
    done = proc.run(["bash", "-c", script], timeout=0.5, escalation=ladder)
    assert done.timed_out and not done.ok
    assert "started" in done.stdout
    leader = int(pidfile.read_text().split()[1])
    assert _pids_in_group(leader) == []


def test_leftover_background_children_are_reaped_after_normal_exit(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    done = proc.run(["bash", "-c", f"sleep 300 & echo $$ > {pidfile}; exit 3"], timeout=10)
    assert done.returncode == 3 and not done.timed_out
    deadline = time.monotonic() + 2
    while _pids_in_group(int(pidfile.read_text())) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _pids_in_group(int(pidfile.read_text())) == []


def test_interrupt_first_lets_a_polite_child_clean_up(tmp_path: Path) -> None:
    marker = tmp_path / "cleaned"
    code = (
        "import signal, sys, time, pathlib\n"
        "def bye(*_):\n"
        f"    pathlib.Path({str(marker)!r}).write_text('yes'); sys.exit(0)\n"
        "signal.signal(signal.SIGINT, bye)\n"
        "print('ready', flush=True)\n"
        "time.sleep(300)\n"
    )
    done = proc.run([sys.executable, "-c", code], timeout=0.5)
    assert done.timed_out
    assert marker.read_text() == "yes"


def test_output_property_joins_streams() -> None:
    done = proc.run(["bash", "-c", "echo out; echo err >&2"])
    assert done.output == "out\nerr\n"


def test_descendant_that_left_the_group_is_stopped_too(tmp_path: Path) -> None:
    # Claude Code starts its Bash tool shells with setsid: out of our group.
    pidfile = tmp_path / "escapee"
    script = f"setsid bash -c 'echo $$ > {pidfile}; exec sleep 300' & sleep 0.3; echo done"
    done = proc.run(["bash", "-c", script], timeout=10, leftover_grace=0.5)
    assert done.ok and done.stdout == "done\n"
    escapee = int(pidfile.read_text())
    assert not Path(f"/proc/{escapee}").exists() or "Z" in Path(f"/proc/{escapee}/stat").read_text()


def test_tokens_accumulate_so_an_ancestor_finds_every_descendant(tmp_path: Path) -> None:
    outer = proc.spawn(
        [
            sys.executable,
            "-c",
            "from loopd import proc; import sys; c = proc.spawn(['sleep', '300']); "
            "print(c.pid, flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
    )
    assert outer.popen.stdout is not None
    inner = int(outer.popen.stdout.readline())
    assert inner in outer.members()  # in its own session, but carrying outer's token
    proc.stop(outer, proc.Escalation.term_then_kill(0.5))
    assert not Path(f"/proc/{inner}").exists() or "Z" in Path(f"/proc/{inner}/stat").read_text()
