"""Where a sprint's loop works: its own git worktree (the default) or the user's checkout.

By default the loop works in ``<checkout>/.loopd/worktrees/<sprint>``, a git
worktree on the sprint's loop branch: the user's branch, index, edits and
untracked files are never touched, and several sprints of one repo can run
at once.  Inside ``.loopd/`` it is found by ``loopd status`` from the
checkout, is deleted with the repo, and is already outside what the watcher
and (through ``info/exclude``) ``git status`` of the checkout look at.

In place (``--in-place``, ``git.in_place``) is loop-v2's way: the checkout
itself goes onto the loop branch, uncommitted work on a protected branch
stashed first; the command that brings it back is returned to be printed.
The loop also works in place when it cannot have a worktree: the checkout
is already on the sprint's loop branch (git allows one worktree per branch),
or the repository has no commit to start one from.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopd.clock import Clock, SystemClock
from loopd.config import GitSettings, load_config
from loopd.engine.recovery import clear_leftovers
from loopd.events import EventLog
from loopd.gitseam import GitSeam, worktree
from loopd.gitseam.repo import head_sha, opened
from loopd.sprint import Sprint, worktree_path
from loopd.state import load_state, save_state

COMMIT_TIMEOUT = 900.0


@dataclass(frozen=True)
class Workspace:
    """The sprint as the loop sees it there, and what to tell the user about it."""

    sprint: Sprint
    notes: tuple[str, ...]
    restore: str | None = None  # in place: the command that brings stashed work back


def prepare(found: Sprint, *, in_place: bool = False, clock: Clock | None = None) -> Workspace:
    """Get the sprint's working tree ready: its worktree, or the checkout in place.

    Idempotent: ``start`` prepares it before detaching the daemon (and prints
    the notes), the daemon prepares it again and finds it ready.
    """
    clock = clock or SystemClock()
    settings = load_config(found.checkout, found).config.git
    events = EventLog(found.events_log, clock)
    worktree.exclude_runtime(found.checkout)
    if in_place or settings.in_place:
        return _in_place(found, settings, clock, events)
    reason = _no_worktree(found, settings)
    if reason is not None:
        return _in_place(found, settings, clock, events, why=reason)
    return _in_worktree(found, settings, clock, events)


def _relative_dir(found: Sprint) -> str:
    return found.dir.relative_to(found.repo).as_posix()


def _no_worktree(found: Sprint, settings: GitSettings) -> str | None:
    checkout = found.checkout
    if found.in_worktree:
        return None
    on = worktree.current_loop_branch(checkout, settings.branch_prefix, found.name)
    if on is not None:
        return f"your checkout is on the sprint's branch {on}: the loop works there, in place"
    with opened(checkout) as repo:
        unborn = head_sha(repo) is None
    if unborn:
        return "the repository has no commit yet to start a worktree from: the loop works in place"
    return None


def _in_worktree(found: Sprint, settings: GitSettings, clock: Clock, events: EventLog) -> Workspace:
    checkout, relative = found.checkout, _relative_dir(found)
    tree = worktree_path(checkout, found.name)
    setup = worktree.open_worktree(checkout, tree, found.name, settings.branch_prefix, clock.now())
    sprint = Sprint(name=found.name, repo=tree, dir=tree / relative, home=checkout)
    shown = tree.relative_to(checkout)
    notes = [
        f"the loop works in its own worktree {shown} on branch {setup.branch} "
        f"({setup.action}); your checkout is not touched"
    ]
    events.append("git_worktree", path=str(tree), branch=setup.branch, action=setup.action)
    # A restart finds the documents there; only a worktree killed before it got them needs them.
    if setup.action == "created" or not sprint.vision.is_file():
        carried = worktree.carry(checkout, tree, relative, COMMIT_TIMEOUT)
        if carried:
            notes.append(
                f"carried {len(carried)} sprint file(s) you have not committed "
                f"({', '.join(carried)}) into the worktree and committed them on {setup.branch}; "
                "your copies stay as they are"
            )
            events.append("git_carried", files=carried, branch=setup.branch)
    return Workspace(sprint, tuple(notes))


def _in_place(
    found: Sprint, settings: GitSettings, clock: Clock, events: EventLog, *, why: str | None = None
) -> Workspace:
    checkout = found.checkout
    sprint = Sprint(name=found.name, repo=checkout, dir=checkout / _relative_dir(found))
    # Before the branch setup stashes untracked files: a killed run's temp files and
    # git locks are loopd's to remove, not the user's work to stash.
    cleared = clear_leftovers(checkout, sprint.dir)
    seam = GitSeam(checkout, settings, events, clock)
    setup = seam.setup_branch(sprint.name, keep=[sprint.dir])
    notes = [f"removed {path}, left behind by a run that was killed" for path in cleared]
    notes += [why] if why else []
    notes.append(f"the loop works in your checkout, on branch {setup.branch} ({setup.detail})")
    if setup.restore is not None:
        # Last on its line, so it can be copied as it is.
        notes.append(f"your uncommitted work was stashed; restore it with: {setup.restore}")
        state = load_state(sprint.state_file).evolve(stashed=setup.restore)
        save_state(sprint.state_file, state, sprint.files_lock)
    return Workspace(sprint, tuple(notes), setup.restore)
