"""The losing ``loopd start`` of a race says who won, not "the daemon exited at once"."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from loopd import daemon
from loopd.commands import start
from loopd.errors import LoopdError
from loopd.sprint import locate
from tests.integration.sprints import install


def test_a_start_whose_daemon_lost_the_race_names_the_winner(repo: Path) -> None:
    # Both starts checked "not running" before either daemon took the lock; this one's
    # daemon then found the lock held and exited.  Before: "the daemon exited at once"
    # and the winner's log.
    install(repo, "greeter")
    found = locate(repo, "docs/sprints", "s1")
    with daemon.hold(found):  # the winner: this test process holds the sprint
        argv = [sys.executable, "-m", "loopd", "-C", str(repo), "run", "s1"]
        child = start._detach(found, argv)  # as start runs its daemon, its log the daemon's
        child.popen.wait(60)
        with pytest.raises(LoopdError) as caught:
            start._wait_started(found, child)
    assert caught.value.message == f"sprint s1 is already running (pid {os.getpid()})"
    assert caught.value.hint is not None and "loopd stop s1" in caught.value.hint
