"""Auto-commit: stage what the loop changed (minus likely secrets), commit with hooks, maybe push.

What is staged (see :class:`StageRules`): every change to tracked files
(``git add -u``: edits, deletions, what an agent staged itself), every
untracked file under the sprint's directory, and every other untracked file
that was not there when the step began (see :mod:`loopd.gitseam.untracked`).
A user's untracked notes elsewhere in the tree stay untracked, as with loop-v2.

The commit and the push run the git binary through :mod:`loopd.proc`: hooks
are the user's code and a push talks to the network, so both get a timeout
and a process-group kill like any other child, and neither can prompt for
anything (no terminal, ``GIT_TERMINAL_PROMPT=0``).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from git import Repo

from loopd import proc
from loopd.errors import LoopdError
from loopd.gitseam import untracked
from loopd.gitseam.contentscan import scan_staged
from loopd.gitseam.repo import (
    call,
    git,
    head_sha,
    opened,
    settled_branch,
    split_z,
)
from loopd.gitseam.results import CommitResult, Withheld
from loopd.gitseam.screen import screen

_UNMERGED = frozenset({"DD", "AU", "UD", "UA", "DU", "AA", "UU"})
_NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0"}
_OUTPUT_TAIL = 4000
# Paths per `git add` call: far below any argv limit.
_ADD_CHUNK = 500


@dataclass(frozen=True)
class StageRules:
    """What a loop commit may stage, and where it may not commit at all.

    ``always``: repo-relative directories whose untracked files are always
    staged (the sprint's own).  ``before``: the untracked files there when
    the step began, never staged; None when no step began (all are staged).
    """

    protected: frozenset[str]
    always: tuple[str, ...] = ()
    before: frozenset[str] | None = None


@dataclass(frozen=True)
class Staged:
    """What staging found: the files going into the commit and those held back."""

    branch: str
    files: tuple[str, ...]
    withheld: tuple[Withheld, ...]
    left_untracked: tuple[str, ...] = field(default=())


def stage(path: Path, rules: StageRules) -> Staged | None:
    """Stage what ``rules`` allow, but likely secrets; None when nothing of that changed."""
    with opened(path) as repo:
        branch = settled_branch(repo, "commit")
        if branch in rules.protected:
            raise LoopdError(
                f"refusing to commit on the protected branch {branch}",
                path=path,
                hint="the loop commits only on its sprint branch; set it up first",
            )
        tracked, new = changed_paths(repo, path)
        added = untracked.chosen(new, rules.before, rules.always)
        left = tuple(sorted(set(new).difference(added)))
        if not tracked and not added:
            return None
        withheld = screen(path, (p for p in (*tracked, *added) if (path / p).exists()))
        git(repo, "add", "-u")
        _add(repo, added)
        # What the commit would add, line by line (the names were screened above).
        withheld += scan_staged(repo, path, skip={w.path for w in withheld})
        _unstage(repo, [w.path for w in withheld])
        files = split_z(git(repo, "diff", "--cached", "--name-only", "-z", "--no-renames"))
        return Staged(branch, tuple(files), withheld, left)


def untracked_now(path: Path) -> frozenset[str]:
    """The untracked, not ignored files of the repository at ``path``."""
    with opened(path) as repo:
        return frozenset(changed_paths(repo, path)[1])


def _add(repo: Repo, paths: Collection[str]) -> None:
    ordered = sorted(paths)
    for start in range(0, len(ordered), _ADD_CHUNK):
        chunk = ordered[start : start + _ADD_CHUNK]
        git(repo, "--literal-pathspecs", "add", "--", *chunk)


def commit(path: Path, message: str, timeout: float) -> str:
    """Commit the index with ``message`` through the git binary (hooks run); the new sha."""
    done = proc.run(
        ["git", "commit", "-q", "-F", "-"],
        cwd=path,
        env={**os.environ, **_NO_PROMPT},
        input=message,
        timeout=timeout,
    )
    if done.timed_out:
        raise LoopdError(
            f"git commit did not finish in {timeout:.0f} s (a hook hanging?)", path=path
        )
    if done.returncode != 0:
        raise LoopdError(
            f"git commit was refused (exit {done.returncode}): {_tail(done.output)}",
            path=path,
            hint=_refusal_hint(done.output),
        )
    with opened(path) as repo:
        sha = head_sha(repo)
    assert sha is not None, "a commit just succeeded"
    return sha


def push(path: Path, branch: str, timeout: float) -> str:
    """Push ``branch`` to its upstream (never forced); an error text, empty when pushed."""
    with opened(path) as repo:
        target = _push_target(repo, branch)
    if target is None:
        return "no upstream branch and no single remote (such as origin) to push to"
    done = proc.run(
        ["git", "push", "-q", *target],
        cwd=path,
        env={**os.environ, **_NO_PROMPT},
        timeout=timeout,
    )
    if done.timed_out:
        return f"git push did not finish in {timeout:.0f} s"
    return "" if done.returncode == 0 else _tail(done.output) or f"exit {done.returncode}"


def validate_message(message: str) -> None:
    if not message.strip():
        raise LoopdError("a commit message cannot be empty")


def changed_paths(repo: Repo, path: Path) -> tuple[list[str], list[str]]:
    """(tracked paths with changes, untracked paths), repo-relative; conflicts refused."""
    out = git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    entries = split_z(out)
    paths: list[str] = []
    new: list[str] = []
    index = 0
    while index < len(entries):
        code, name = entries[index][:2], entries[index][3:]
        if code in _UNMERGED:
            raise LoopdError(
                f"cannot commit: {name} has unresolved merge conflicts",
                path=path,
                hint="resolve them (or git restore the file) first",
            )
        (new if code == "??" else paths).append(name)
        # A rename or copy is followed by the name it came from.
        index += 2 if "R" in code or "C" in code else 1
    return paths, new


def _unstage(repo: Repo, paths: list[str]) -> None:
    if not paths:
        return
    literal = "--literal-pathspecs"
    if head_sha(repo) is None:
        git(repo, literal, "rm", "--cached", "-q", "--ignore-unmatch", "--", *paths)
    else:
        git(repo, literal, "reset", "-q", "--", *paths)


def _push_target(repo: Repo, branch: str) -> list[str] | None:
    status, _, _ = call(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}")
    if status == 0:
        return []
    remotes = git(repo, "remote").split()
    remote = "origin" if "origin" in remotes else (remotes[0] if len(remotes) == 1 else None)
    if remote is None:
        return None
    # A new sprint branch has no upstream yet: make the first push set it.
    return ["--set-upstream", remote, f"refs/heads/{branch}:refs/heads/{branch}"]


def _refusal_hint(output: str) -> str:
    if "tell me who you are" in output.lower():
        return "set git's user.name and user.email for this repository"
    return "a pre-commit or commit-msg hook said no; the changes stay staged"


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _OUTPUT_TAIL else "..." + text[-_OUTPUT_TAIL:]


def auto_commit(path: Path, message: str, timeout: float, rules: StageRules) -> CommitResult | None:
    """Stage what ``rules`` allow except likely secrets, and commit it (see :func:`stage`)."""
    validate_message(message)
    staged = stage(path, rules)
    if staged is None:
        return None
    left = staged.left_untracked
    if not staged.files:
        if not staged.withheld:
            return None
        return CommitResult(
            None, staged.branch, message, withheld=staged.withheld, left_untracked=left
        )
    sha = commit(path, message, timeout)
    return CommitResult(sha, staged.branch, message, staged.files, staged.withheld, left)
