"""Where a sprint stands: one state from the lock's holder and LOOP_STATE.md, never two."""

from __future__ import annotations

import pytest

from loopd.commands.standing import standing
from loopd.daemon import DaemonInfo
from loopd.state import LoopState

DAEMON = DaemonInfo(pid=42, token=None)
GO = "loopd start s1"


@pytest.mark.parametrize(
    ("state", "holder", "expected", "line", "next_"),
    [
        (LoopState(), None, "not started", "not started", "loopd start s1"),
        (LoopState(step="vrc1"), DAEMON, "running", "running (pid 42), step vrc1", None),
        (
            LoopState(step="vrc1", stop_reason="budget: 3 agent calls reached"),
            None,
            "stopped",
            "stopped in step vrc1: budget: 3 agent calls reached",
            "loopd start s1",
        ),
        (
            LoopState(step="vrc1", stop_reason="infrastructure: down"),
            DAEMON,
            "stopping",
            "stopping (pid 42): infrastructure: down",
            "loopd start s1",
        ),
        (LoopState(exit_code=0), None, "ended", "ended: full success (exit 0)", None),
        (LoopState(exit_code=2), None, "ended", "ended: partial success (exit 2)", GO),
        (LoopState(step="gate_craap"), None, "interrupted", "cut off in step gate_craap", GO),
        (LoopState(exit_code=1), DAEMON, "watching", "(exit 1); the daemon (pid 42)", None),
    ],
)  # fmt: skip
def test_each_combination_is_one_state(
    state: LoopState, holder: DaemonInfo | None, expected: str, line: str, next_: str | None
) -> None:
    stands = standing("s1", state, holder)
    assert stands.state == expected and line in stands.line and stands.next == next_
