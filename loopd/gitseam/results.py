"""What the git seam hands back: plain frozen values, safe to log and compare."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

BranchAction = Literal["created", "resumed", "current"]


@dataclass(frozen=True)
class StashRecord:
    """Uncommitted work moved aside before the loop left a protected branch."""

    sha: str
    message: str
    branch: str

    @property
    def restore_command(self) -> str:
        """The shell command that puts the work back where it was.

        It names the stash by commit id, not ``stash@{n}``, which shifts when
        anything else is stashed later.
        """
        return f"git switch {shlex.quote(self.branch)} && git stash apply --index {self.sha}"


@dataclass(frozen=True)
class BranchSetup:
    """Which branch the loop works on, how it got there, and what was stashed."""

    branch: str
    action: BranchAction
    previous: str
    stash: StashRecord | None = None
    unborn: bool = False

    @property
    def restore(self) -> str | None:
        """The command that brings the stashed work back, if any was stashed."""
        return None if self.stash is None else self.stash.restore_command

    @property
    def detail(self) -> str:
        """How the loop got onto its branch, in one line (the stash is told apart)."""
        text = {"created": "created", "resumed": "resumed", "current": "already on it"}[self.action]
        if self.action != "current":
            text += f" from {self.previous}"
        if self.unborn:
            text += "; no commits yet, the first loop commit starts its history"
        return text


@dataclass(frozen=True)
class Withheld:
    """A changed file auto-commit refused to stage, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class CommitResult:
    """What one auto-commit did.

    ``sha`` is None when every changed file was withheld as a likely secret:
    nothing was committed, but the refusal is still reported.
    """

    sha: str | None
    branch: str
    message: str
    files: tuple[str, ...] = ()
    withheld: tuple[Withheld, ...] = ()
    # Untracked files there before the step began: left alone, as loop-v2 did.
    left_untracked: tuple[str, ...] = ()
    pushed: bool = False
    push_error: str = ""

    @property
    def committed(self) -> bool:
        return self.sha is not None


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    subject: str


@dataclass(frozen=True)
class FileChange:
    """Lines added and deleted in one file; None for binary files."""

    path: str
    added: int | None
    deleted: int | None
    untracked: bool = False


@dataclass(frozen=True)
class DiffSummary:
    """Everything that changed since ``base``: its commits plus the working tree."""

    base: str | None
    head: str | None
    commits: tuple[CommitInfo, ...]
    files: tuple[FileChange, ...]

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]

    @property
    def insertions(self) -> int:
        return sum(f.added or 0 for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deleted or 0 for f in self.files)

    def stat(self, limit: int = 40) -> str:
        """A ``git diff --stat``-like text for prompts and logs (at most ``limit`` files)."""
        if not self.files and not self.commits:
            return "no changes"
        lines = []
        if self.commits:
            lines.append(
                f"{len(self.commits)} commit(s): " + "; ".join(c.subject for c in self.commits)
            )
        width = max((len(f.path) for f in self.files[:limit]), default=0)
        lines += [f" {f.path:<{width}} | {_counts(f)}" for f in self.files[:limit]]
        if len(self.files) > limit:
            lines.append(f" ... and {len(self.files) - limit} more file(s)")
        lines.append(
            f" {len(self.files)} file(s) changed, {self.insertions} insertion(s)(+), "
            f"{self.deletions} deletion(s)(-)"
        )
        return "\n".join(lines)


def _counts(change: FileChange) -> str:
    text = "binary" if change.added is None else f"+{change.added} -{change.deleted}"
    return f"{text} (untracked)" if change.untracked else text
