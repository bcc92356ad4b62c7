"""A loop that dies right after any save resumes to the end it would have reached.

Where tests/integration/test_loop_resume.py kills real processes at moments
it can aim at, this stops the loop (in-process) right after every single
save of its state, one after the other: the narrow windows between a
finished agent call and the step's transition included, which a kill from
outside rarely hits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from loopd.config import Config
from loopd.engine import machine
from loopd.engine.context import Context
from loopd.engine.spec import load_spec
from loopd.state import LoopState
from tests.conftest import init_repo
from tests.engine.support import context, replay_config
from tests.integration.sprints import install, outcome, visited


class Crash(BaseException):
    """The process died here: nothing after it runs, no handler sees it."""


@dataclass
class CrashAfter(Context):
    """A context whose process dies right after its ``saves``-th save."""

    saves: int = 0

    def update(self, state: LoopState) -> LoopState:
        saved = super().update(state)
        self.saves -= 1
        if self.saves == 0:
            raise Crash
        return saved


def _config(repo: Path) -> Config:
    config = replay_config(repo / ".loopd/replay.yaml", spot_check_probability=0)
    return dataclasses.replace(config, git=dataclasses.replace(config.git, commit=False))


def _run(repo: Path, saves: int = 0) -> bool:
    """Run the loop; False when it crashed."""
    ctx = context(repo, _config(repo), inline=True, kind=CrashAfter)
    assert isinstance(ctx, CrashAfter)
    ctx.saves = saves
    try:
        machine.run(load_spec(), ctx, on_step=lambda _: None)
    except Crash:
        return False
    return True


def test_a_loop_dying_after_any_save_resumes_to_the_same_end(tmp_path: Path) -> None:
    base = init_repo(tmp_path / "base")
    install(base, "greeter")
    assert _run(base)
    expected = outcome(base, 0)

    repo = init_repo(tmp_path / "crashing")
    install(repo, "greeter")
    # Each run dies after its second save (its first is the run's own start);
    # one that got no transition further dies a save later the next time.  So
    # every save of the sprint is, once, the last thing before a crash.
    crashes, saves, reached = 0, 2, -1
    while not _run(repo, saves):
        crashes += 1
        assert crashes < 1000
        now = len(visited(repo))
        saves, reached = (saves + 1 if now == reached else 2), now
    assert outcome(repo, 0) == expected
    assert crashes > len(visited(base))
