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

import json
from pathlib import Path
from typing import Any

from loopd import crashpoint, ending, fsio
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


def end(ctx: Context, code: int, final_step: str) -> int:
    """The loop's end as one recoverable unit: archive (or reopen), commit, record.

    Its intent (the exit code, and where the state goes on a full success) is
    written to ``.loopd/<sprint>/end-intent.json`` before any of it, outside
    LOOP_STATE.md because archiving removes that file: a run killed anywhere
    in the end is finished by the next run (:func:`resume_end`) instead of
    starting the sprint over, and each part happens once.
    """
    archive = None
    if code == FULL:
        stamp = f"{ctx.clock.now():%Y%m%d-%H%M%S}"
        # Its name only: the archive lives under the runtime dir, in the user's checkout
        # even when the loop works in a worktree (where the repo root is another tree).
        archive = f"LOOP_STATE-{stamp}.md"
    intent = {"exit_code": code, "archive": archive, "final_step": final_step}
    fsio.atomic_write(_end_intent(ctx.sprint), json.dumps(intent) + "\n")
    return _finish_end(ctx, intent)


def resume_end(ctx: Context) -> int | None:
    """Finish the end a killed run began; its exit code, or None when there is none."""
    path = _end_intent(ctx.sprint)
    try:
        intent = json.loads(path.read_text(encoding="utf-8"))
        int(intent["exit_code"])
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)  # torn or foreign: there is no end to finish
        return None
    ctx.note(f"finishing the end a stopped run began (exit {intent['exit_code']})")
    # Its commits leave alone what was untracked when the last step began.
    ctx.begin_step(str(intent.get("final_step") or "done"), resumed=True)
    return _finish_end(ctx, intent)


def _finish_end(ctx: Context, intent: dict[str, Any]) -> int:
    """Each part is idempotent: done already (before a kill), it changes nothing."""
    code = int(intent["exit_code"])
    name = intent.get("archive")
    archived = ctx.sprint.runtime / "archive" / Path(str(name)).name if name else None
    if archived is not None:
        archive_state(ctx, archived)
    elif ctx.sprint.state_file.exists() and load_state(ctx.sprint.state_file).step is not None:
        # Reported: the next run starts a new pass (the exit code stays for status).
        ctx.update(ctx.state.evolve(step=None))
    # The branch ends clean: the final state (or its removal) is the last commit.
    moved = "; LOOP_STATE.md archived under .loopd/" if archived else ""
    ctx.commit("completion", outcome(code) + moved, once=False)
    record_end(ctx, code, archived)
    ctx.events.append("end", exit_code=code)
    _end_intent(ctx.sprint).unlink(missing_ok=True)
    crashpoint.reached("unlink:end-intent.json")
    return code


def _end_intent(sprint: Sprint) -> Path:
    return sprint.runtime / "end-intent.json"


def archive_state(ctx: Context, archive: Path) -> Path:
    """Full success: LOOP_STATE.md moves to ``archive`` (the sprint starts over)."""
    state_file = ctx.sprint.state_file
    if not state_file.exists():  # moved before a kill
        return archive
    fsio.atomic_write(archive, fsio.read_text(state_file))
    state_file.unlink()
    crashpoint.reached("unlink:LOOP_STATE.md")
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
