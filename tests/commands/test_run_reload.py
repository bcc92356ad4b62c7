"""A configuration reload (SIGHUP) reaches the git seam too."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from loopd.clock import SystemClock
from loopd.commands.run import apply_config
from loopd.config import load_config
from loopd.engine import assemble
from loopd.gitseam import GitSeam
from loopd.sprint import locate
from tests.integration.sprints import install


def test_reloaded_protected_branches_reach_the_git_seam(repo: Path) -> None:
    install(repo, "greeter")
    found = locate(repo, "docs/sprints", "s1")
    config = load_config(repo, found).config
    ctx = assemble.build(found, config, SystemClock(), lambda _: None)
    changed = dataclasses.replace(
        config, git=dataclasses.replace(config.git, protected_branches=("trunk",), push=True)
    )

    apply_config(ctx, changed)

    assert isinstance(ctx.git, GitSeam)
    assert ctx.git.settings.protected_branches == ("trunk",) and ctx.git.settings.push
    assert ctx.git.stage_rules().protected == frozenset({"trunk"})
