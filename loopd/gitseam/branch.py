"""Branch setup, as loop-v2 did it: the loop never works on a protected branch.

On a protected branch (``git.protected_branches``, loop-v2's
``PROTECTED_BRANCHES``: main, master, develop by default), uncommitted work
(untracked files too) is stashed
first, except the paths the loop itself needs to carry along (the sprint's
own documents, ``.loopd/``).  Then: stay on the sprint's loop branch if
already there, else resume its newest loop branch, else create
``<prefix>/<sprint>-YYYYMMDD-HHMMSS``.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from git import Repo

from loopd import fsio
from loopd.errors import LoopdError
from loopd.gitseam.repo import (
    call,
    git,
    head_sha,
    opened,
    settled_branch,
    split_z,
)
from loopd.gitseam.results import BranchSetup, StashRecord

RUNTIME_DIR = ".loopd"
_STAMP = "%Y%m%d-%H%M%S"


def loop_branch_pattern(prefix: str, sprint: str) -> re.Pattern[str]:
    """Names of the sprint's loop branches; the time stamp keeps sprint ``s1`` off ``s1-x``'s."""
    return re.compile(re.escape(f"{prefix}/{sprint}-") + r"\d{8}-\d{6}")


def setup_branch(
    path: Path,
    sprint: str,
    prefix: str,
    now: datetime.datetime,
    *,
    keep: Iterable[Path],
    protected: Collection[str],
) -> BranchSetup:
    """Move the repository at ``path`` onto the sprint's loop branch (see the module doc)."""
    with opened(path) as repo:
        current = settled_branch(repo, "set up the sprint branch")
        name = f"{prefix}/{sprint}-{now.astimezone():{_STAMP}}"
        check_branch_name(repo, name)
        pattern = loop_branch_pattern(prefix, sprint)
        if pattern.fullmatch(current):
            return BranchSetup(current, "current", current)
        unborn = head_sha(repo) is None
        stash = None
        if current in protected and not unborn:
            stash = _stash(repo, sprint, current, now, _carried(path, keep))
        existing = loop_branches(repo, prefix, pattern)
        if existing:
            with _carried_over(repo, existing[0], _carried(path, keep)):
                _switch(repo, [existing[0]], stash)
            return BranchSetup(existing[0], "resumed", current, stash, unborn)
        if unborn:
            # Nothing to branch from: point HEAD at the new name; the first commit makes it.
            git(repo, "symbolic-ref", "HEAD", f"refs/heads/{name}")
        else:
            _switch(repo, ["-c", name], stash)
        return BranchSetup(name, "created", current, stash, unborn)


def check_branch_name(repo: Repo, name: str) -> None:
    status, _, _ = call(repo, "check-ref-format", "--branch", name)
    if status != 0:
        raise LoopdError(
            f"{name!r} is not a valid git branch name",
            hint="check the sprint name and git.branch_prefix",
        )


def _carried(path: Path, keep: Iterable[Path]) -> list[str]:
    """``keep`` as repo-relative POSIX paths (outside ones dropped), plus the runtime dir."""
    root = path.resolve()
    carried = [RUNTIME_DIR]
    for item in keep:
        full = (root / item).resolve()
        if full.is_relative_to(root) and full != root:
            carried.append(full.relative_to(root).as_posix())
    return carried


def _not_ignored(repo: Repo, paths: list[str]) -> list[str]:
    """``paths`` less those git ignores.

    ``--include-untracked`` never stashes an ignored path anyway, and naming
    one in the pathspec (``.loopd/`` once ``loopd init`` ignored it) makes
    ``git stash`` fail half-way, after it has saved the stash.
    """
    return [p for p in paths if call(repo, "check-ignore", "-q", "--", p)[0] != 0]


def _stash_sha(repo: Repo) -> str | None:
    status, out, _ = call(repo, "rev-parse", "-q", "--verify", "refs/stash")
    return out.strip() if status == 0 else None


def _stash(
    repo: Repo, sprint: str, branch: str, now: datetime.datetime, carried: list[str]
) -> StashRecord | None:
    before = _stash_sha(repo)
    stamp = now.isoformat(timespec="seconds")
    message = f"loopd: uncommitted work on {branch}, saved before sprint {sprint} ({stamp})"
    excludes = [f":(exclude,literal){p}" for p in _not_ignored(repo, carried)]
    status, out, err = call(
        repo, "stash", "push", "--include-untracked", "-m", message, "--", *excludes
    )
    after = _stash_sha(repo)
    made = None if after is None or after == before else StashRecord(after, message, branch)
    if status != 0:
        saved = f"; what was saved: {made.restore_command}" if made else ""
        raise LoopdError(f"git stash failed: {(err or out).strip()}{saved}")
    return made


@contextlib.contextmanager
def _carried_over(repo: Repo, target: str, carried: list[str]) -> Iterator[None]:
    """Carry the untracked files of ``carried`` that ``target`` tracks over a switch to it.

    After an agent's ``git checkout main``, loopd still wrote the sprint's
    state and plan: untracked on main, tracked on the loop branch, so ``git
    switch`` refused ("would be overwritten") and no start could go back.
    Those copies are the newest; they are set aside, the switch is made, and
    they are written back over the branch's versions (a change on it).
    """
    root = Path(repo.working_dir)
    untracked = set(
        split_z(git(repo, "ls-files", "--others", "--exclude-standard", "-z", "--", *carried))
    )
    tracked = set(split_z(git(repo, "ls-tree", "-r", "--name-only", "-z", target, "--", *carried)))
    aside = {name: (root / name).read_bytes() for name in sorted(untracked & tracked)}
    for name in aside:
        (root / name).unlink()
    try:
        yield
    finally:  # switched or not, the newest copies are back in place
        for name, data in aside.items():
            fsio.atomic_write_bytes(root / name, data)


def _switch(repo: Repo, args: list[str], stash: StashRecord | None) -> None:
    status, out, err = call(repo, "switch", "-q", *args)
    if status == 0:
        return
    message = f"git switch {' '.join(args)} failed: {(err or out).strip()}"
    if stash is not None:
        back, _, _ = call(repo, "stash", "apply", "-q", stash.sha)
        message += (
            f"; your uncommitted work is back in place (and kept as stash {stash.sha})"
            if back == 0
            else f"; your uncommitted work is safe: {stash.restore_command}"
        )
    raise LoopdError(message, path=Path(repo.working_dir))


def branches_with(path: Path, relative: str, limit: int = 50) -> list[str]:
    """Local branches whose tip holds ``relative``, most recently committed first.

    Where a sprint lives when it is not in the working tree: its documents
    were committed on the loop branch and the user has switched away.  Only
    the ``limit`` newest branches are looked at; no repository, no branches.
    """
    try:
        with opened(path) as repo:
            out = git(
                repo,
                "for-each-ref",
                "--sort=-committerdate",
                "--format=%(refname:short)%00",
                f"--count={limit}",
                "refs/heads/",
            )
            names = [n.strip() for n in split_z(out) if n.strip()]
            return [n for n in names if call(repo, "cat-file", "-e", f"{n}:{relative}")[0] == 0]
    except LoopdError:
        return []


def loop_branches(repo: Repo, prefix: str, pattern: re.Pattern[str]) -> list[str]:
    """The sprint's loop branches, newest commit first (ties: the later time stamp)."""
    out = git(
        repo,
        "for-each-ref",
        "--sort=-refname",
        "--sort=-committerdate",
        "--format=%(refname)%00",
        f"refs/heads/{prefix}/",
    )
    names = [ref.strip().removeprefix("refs/heads/") for ref in split_z(out)]
    return [n for n in names if n and pattern.fullmatch(n)]
