"""Move to the sprint's loop branch (never work on a protected one) and guard secrets."""

from __future__ import annotations

from loopd.engine.context import Context
from loopd.engine.recovery import clear_leftovers


def run(ctx: Context) -> str:
    # Runs on every start: first clear what a crashed run left (git locks above all).
    for path in clear_leftovers(ctx.sprint.repo, ctx.sprint.dir):
        ctx.note(f"removed {path}, left behind by a run that was killed")
    # The sprint's documents come along even when uncommitted: stashing them
    # away with the user's other work would leave the loop with no vision.
    info = ctx.git.setup_branch(ctx.sprint.name, keep=[ctx.sprint.dir])
    ctx.note(f"on branch {info.branch} ({info.detail})")
    if info.restore is not None:
        # Last on its line, so it can be copied as it is.
        ctx.note(f"uncommitted work stashed; restore it with: {info.restore}")
        ctx.update(ctx.state.evolve(stashed=info.restore))
    added = ctx.git.ensure_gitignore()
    if added:
        ctx.note(f".gitignore: added {', '.join(added)}")
    return "ok"
