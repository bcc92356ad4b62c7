"""The sprint's own git worktree: the loop works there, the user's checkout is left alone.

A worktree shares the repository (objects, branches, stash) with the user's
checkout but has its own HEAD, index and files, so the loop can switch to
its branch, stage and commit without touching anything the user has open.
It is made on the sprint's loop branch (the newest one, when the sprint
already has one; else a new ``<prefix>/<sprint>-YYYYMMDD-HHMMSS`` from the
checkout's HEAD) and reused by every later run.
"""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path

from loopd import fsio
from loopd.errors import LoopdError
from loopd.gitseam import commit
from loopd.gitseam.branch import RUNTIME_DIR, check_branch_name, loop_branch_pattern, loop_branches
from loopd.gitseam.repo import branch_of, call, git, opened
from loopd.gitseam.results import BranchAction

_STAMP = "%Y%m%d-%H%M%S"
EXCLUDE_ENTRY = f"/{RUNTIME_DIR}/"


@dataclass(frozen=True)
class WorktreeSetup:
    """Where the sprint's worktree is, its branch, and whether it was just made."""

    path: Path
    branch: str
    action: BranchAction  # created: new branch; resumed: an existing one


def exclude_runtime(checkout: Path) -> bool:
    """Keep ``.loopd/`` out of ``git status`` without editing a tracked file.

    Appends ``/.loopd/`` to the repository's ``info/exclude`` (shared by all
    its worktrees) unless git already ignores it; True when it was added.
    """
    with opened(checkout) as repo:
        if call(repo, "check-ignore", "-q", "--", f"{RUNTIME_DIR}/lock")[0] == 0:
            return False
        common = Path(git(repo, "rev-parse", "--git-common-dir").strip())
    exclude = (common if common.is_absolute() else checkout / common) / "info" / "exclude"
    text = fsio.read_text(exclude) if exclude.exists() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    fsio.atomic_write(exclude, text + EXCLUDE_ENTRY + "\n")
    return True


def current_loop_branch(checkout: Path, prefix: str, sprint: str) -> str | None:
    """The checkout's branch if it is one of the sprint's loop branches (loop-v2 left it there)."""
    with opened(checkout) as repo:
        branch = branch_of(repo)
    if branch is not None and loop_branch_pattern(prefix, sprint).fullmatch(branch):
        return branch
    return None


def open_worktree(
    checkout: Path, tree: Path, sprint: str, prefix: str, now: datetime.datetime
) -> WorktreeSetup:
    """The sprint's worktree at ``tree``: reused when it is there, else added on its branch."""
    with opened(checkout) as repo:
        # A worktree whose folder was deleted still holds its branch until pruned.
        git(repo, "worktree", "prune")
        if (tree / ".git").is_file():
            return WorktreeSetup(tree, _branch_there(tree), "resumed")
        existing = loop_branches(repo, prefix, loop_branch_pattern(prefix, sprint))
        if existing:
            args, setup = [str(tree), existing[0]], WorktreeSetup(tree, existing[0], "resumed")
        else:
            name = f"{prefix}/{sprint}-{now.astimezone():{_STAMP}}"
            check_branch_name(repo, name)
            args, setup = ["-b", name, str(tree), "HEAD"], WorktreeSetup(tree, name, "created")
        tree.parent.mkdir(parents=True, exist_ok=True)
        status, out, err = call(repo, "worktree", "add", "-q", *args)
    if status != 0:
        raise LoopdError(
            f"git worktree add failed: {(err or out).strip()}",
            path=checkout,
            hint="or run the sprint in your checkout, as loop-v2 did: --in-place",
        )
    return setup


def _branch_there(tree: Path) -> str:
    with opened(tree) as repo:
        branch = branch_of(repo)
    if branch is None:
        raise LoopdError(
            "the sprint's worktree is not on a branch (HEAD is detached)",
            path=tree,
            hint="check its loop branch out there again (git -C <worktree> switch <branch>)",
        )
    return branch


def uncommitted_in(checkout: Path, relative: str) -> list[str]:
    """Files under ``relative`` that the checkout has but has not committed (new or edited)."""
    with opened(checkout) as repo:
        tracked, new = commit.changed_paths(repo, checkout)
    prefix = relative.rstrip("/") + "/"
    return sorted(p for p in (*tracked, *new) if p.startswith(prefix) and (checkout / p).is_file())


def carry(checkout: Path, tree: Path, relative: str, timeout: float) -> list[str]:
    """Copy the checkout's uncommitted files under ``relative`` into ``tree`` and commit them there.

    The user's copies stay as they are; the sprint branch gets the documents
    the loop needs (a VISION.md written after ``loopd init`` and never committed).
    """
    files = uncommitted_in(checkout, relative)
    for name in files:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(checkout / name, tree / name)
    if not files:
        return []
    with opened(tree) as repo:
        git(repo, "--literal-pathspecs", "add", "--", *files)
        changed = call(repo, "diff", "--cached", "--quiet")[0] != 0
    if changed:
        message = "loopd: sprint documents from your checkout, not committed there"
        commit.commit(tree, message, timeout)
    return files
