"""Completion: the exit code from the test plan (0 full, 2 partial, 1 incomplete).

The tests are the beta plan's tests as the test engine runs them (any non-task item:
SEC-001, EDGE-001 ...): pending ones make it incomplete.  A test with an unknown marker
(``[~]``) was neither run nor passed, so at best the sprint is a partial success.

Also what outlives the end: a full success archives LOOP_STATE.md under
``.loopd/<sprint>/archive/`` (the next run starts the sprint over, as loop-v2
did), but the REPRO commands agents taught loopd are carried into the state a
sprint starts from, so regression checks keep running them; and every end
leaves its record (:mod:`loopd.ending`) for ``loopd status``.
"""

from __future__ import annotations

from pathlib import Path

from loopd import ending, fsio
from loopd.checklist import Status
from loopd.engine import fingerprint
from loopd.engine.context import Context
from loopd.errors import LoopdError
from loopd.gitseam import GitSeam
from loopd.sprint import Sprint
from loopd.state import LoopState, load_state

FULL, INCOMPLETE, PARTIAL = 0, 1, 2
ARCHIVE_GLOB = "LOOP_STATE-*.md"


def exit_code(ctx: Context) -> int:
    tests = fingerprint.tests(ctx.tests())
    pending = tests[Status.PENDING]
    blocked = tests[Status.BLOCKED] + tests[Status.USER] + tests[Status.OTHER]
    if pending:
        return INCOMPLETE
    return PARTIAL if blocked else FULL


def outcome(code: int) -> str:
    """``full success (exit 0)`` and the like, for notes and commit messages."""
    return f"{ending.OUTCOMES.get(code, 'stopped')} (exit {code})"


def run(ctx: Context) -> str:
    code = exit_code(ctx)
    ctx.note(f"completion: {outcome(code)}")
    ctx.update(ctx.state.evolve(exit_code=code))
    return "ok"


def archive_state(ctx: Context) -> Path:
    """Full success: LOOP_STATE.md moves to .loopd/<sprint>/archive/ (the sprint starts over)."""
    state_file = ctx.sprint.state_file
    stamp = f"{ctx.clock.now():%Y%m%d-%H%M%S}"
    archive = ctx.sprint.runtime / "archive" / f"LOOP_STATE-{stamp}.md"
    fsio.atomic_write(archive, fsio.read_text(state_file))
    state_file.unlink()
    ctx.events.append("archived", path=str(archive))
    return archive


def record_end(ctx: Context, code: int, archived: Path | None) -> ending.Ending:
    """After the loop's last commit: how it ended, for ``loopd status``."""
    tests = fingerprint.tests(ctx.tests())
    # Where the loop committed (its worktree, or the checkout in place).
    where = ctx.git.repo if isinstance(ctx.git, GitSeam) else ctx.sprint.repo
    commit, branch = ending.where_git_is(where)
    end = ending.Ending(
        exit_code=code,
        at=ctx.clock.now().isoformat(timespec="seconds"),
        tests={"passed": tests[Status.DONE], "blocked": tests[Status.BLOCKED],
               "user": tests[Status.USER], "pending": tests[Status.PENDING]},
        commit=commit,
        branch=branch,
        where=str(where),
        archived=ctx.sprint.relative(archived) if archived else None,
    )  # fmt: skip
    ending.record(ctx.sprint, end)
    return end


def archived_state(sprint: Sprint) -> LoopState | None:
    """The state of the last full success; None when there is none (or it is unreadable)."""
    copies = sorted((sprint.runtime / "archive").glob(ARCHIVE_GLOB))
    if not copies:
        return None
    try:
        return load_state(copies[-1])
    except LoopdError:
        return None


def starting_state(sprint: Sprint) -> LoopState:
    """LOOP_STATE.md; without one, a fresh state that keeps the last archive's learned commands."""
    if sprint.state_file.exists():
        return load_state(sprint.state_file)
    last = archived_state(sprint)
    return LoopState(test_commands=last.test_commands if last else {})
