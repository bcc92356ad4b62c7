"""Move to the sprint's loop branch (never work on a protected one) and guard secrets."""

from __future__ import annotations

from loopd.engine.context import Context


def run(ctx: Context) -> str:
    info = ctx.git.setup_branch(ctx.sprint.name)
    ctx.note(f"on branch {info.branch}" + (f" ({info.detail})" if info.detail else ""))
    added = ctx.git.ensure_gitignore()
    if added:
        ctx.note(f".gitignore: added {', '.join(added)}")
    return "ok"
