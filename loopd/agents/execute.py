"""One agent process: the saved prompt on its stdin, its output straight into the run directory.

The child reads the prompt file and writes the ``.out`` file itself, so no
pipe can fill up or be held open by a straggler, and ``tail -f`` on the
``.out`` file shows a running agent.  When the call ends (the leader exits,
or its timeout stops it: SIGTERM, grace, SIGKILL) the rest of its process
group and every process carrying its spawn token (see :mod:`loopd.proc`)
get SIGTERM, grace, SIGKILL, wherever they went.

The command runs below :mod:`loopd.agents.reaper`, a child subreaper that
adopts whatever the agent orphans, so ``setsid env -i cmd &`` (which leaves
both the group and the environment marker behind) is stopped with the call too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from loopd import proc
from loopd.agents.rundir import CallFiles


def execute(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    files: CallFiles,
    timeout: float,
    grace: float,
) -> proc.Completed:
    """Run ``argv`` for one call; FileNotFoundError/PermissionError if it cannot start.

    ``files.output`` is created (empty if the command never starts).
    """
    started = time.monotonic()
    with (
        files.prompt.open("rb") as stdin,
        files.output.open("xb") as stdout,
        tempfile.TemporaryFile() as stderr,
    ):
        command = contained(argv, env, cwd, grace)
        child = proc.spawn(command, cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=stderr)
        timed_out = _wait(child, timeout, grace)
        stderr.seek(0)
        err = stderr.read()
    return proc.Completed(
        argv=tuple(argv),
        returncode=child.popen.returncode,
        stdout=_decode(files.output.read_bytes()),
        stderr=_decode(err),
        duration=time.monotonic() - started,
        timed_out=timed_out,
    )


REAPER = Path(__file__).with_name("reaper.py")


def contained(argv: Sequence[str], env: Mapping[str, str], cwd: Path, grace: float) -> list[str]:
    """``argv`` run below the reaper; FileNotFoundError/PermissionError if it cannot start.

    Checked here because the reaper starts it: loopd must still tell a missing
    binary from an agent that failed.
    """
    program = argv[0]
    if os.sep in program:
        path = cwd / program  # an absolute program stays itself
        if not path.exists():
            raise FileNotFoundError(2, "No such file or directory", program)
        if path.is_dir() or not os.access(path, os.X_OK):
            raise PermissionError(13, "Permission denied", program)
    elif shutil.which(program, path=env.get("PATH", os.defpath)) is None:
        raise FileNotFoundError(2, "No such file or directory", program)
    return [sys.executable, "-I", "-S", str(REAPER), f"{grace:g}", "--", *argv]


def _wait(child: proc.Spawned, timeout: float, grace: float) -> bool:
    """Wait for the leader; on timeout stop the group.  Whether it timed out."""
    try:
        child.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.stop(child, proc.Escalation.term_then_kill(grace))
        return True
    finally:
        proc.finish(child, grace)
    return False


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
