"""``loopd logs``: print a sprint's daemon log, and follow it with ``-f``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from loopd import daemon
from loopd.errors import LoopdError
from loopd.sprint import locate

POLL = 0.2


def logs(*, repo: Path, sprints_root: str, sprint: str, follow: bool) -> int:
    """Print the log; with ``follow``, keep printing until the daemon ends (or Ctrl-C)."""
    found = locate(repo, sprints_root, sprint)
    path = daemon.log_path(found)
    if not path.exists():
        raise LoopdError("no daemon log yet", path=path, hint=f"start one: loopd start {sprint}")
    with path.open("rb") as log:
        _copy(log.read())
        while follow:
            chunk = log.read()
            if chunk:
                _copy(chunk)
            elif daemon.running(found) is None:
                break
            else:
                time.sleep(POLL)
    return 0


def _copy(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
