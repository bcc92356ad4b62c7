"""How a sprint's loop ended: the record ``loopd status`` shows once the loop is over.

LOOP_STATE.md holds the exit code, but not the commit that holds LOOP_STATE.md
itself, and after a full success it is archived away.  So when the loop ends
(after its last commit) loopd writes ``.loopd/<sprint>/ending.json``: the exit
code, when, the tests by status, the final commit, the branch and the
directory the loop worked in.  A run that starts removes it, so a record is
never that of an older end; status also shows it only when the state it reads
says the loop ended with that same exit code.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loopd import fsio
from loopd.errors import LoopdError
from loopd.gitseam import repo as gitrepo
from loopd.sprint import Sprint

# What each exit code of an ended loop means (DESIGN.md "Exit codes").
OUTCOMES = {0: "full success", 2: "partial success", 1: "incomplete"}


@dataclass(frozen=True)
class Ending:
    """One end of the loop, as status shows it."""

    exit_code: int
    at: str  # ISO time
    tests: dict[str, int] = field(default_factory=dict)  # passed, blocked, user, pending
    commit: str | None = None  # HEAD after the loop's last commit
    branch: str | None = None
    where: str | None = None  # the directory (checkout or worktree) the loop worked in
    archived: str | None = None  # LOOP_STATE.md's copy after a full success

    @property
    def outcome(self) -> str:
        return OUTCOMES.get(self.exit_code, "stopped")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": self.outcome}


def path(sprint: Sprint) -> Path:
    return sprint.runtime / "ending.json"


def where_git_is(directory: Path) -> tuple[str | None, str | None]:
    """(HEAD's commit, the branch) of the checkout at ``directory``; Nones when git cannot say."""
    try:
        with gitrepo.opened(directory) as repo:
            return gitrepo.head_sha(repo), gitrepo.branch_of(repo)
    except LoopdError:
        return None, None


def record(sprint: Sprint, ending: Ending) -> None:
    fsio.atomic_write(path(sprint), json.dumps(ending.as_dict(), indent=2) + "\n")


def clear(sprint: Sprint) -> None:
    """A run starts: the last end is no longer how the sprint stands."""
    with contextlib.suppress(FileNotFoundError):
        path(sprint).unlink()


def load(sprint: Sprint) -> Ending | None:
    """The recorded end; None when there is none or it cannot be read."""
    try:
        data = json.loads(path(sprint).read_text(encoding="utf-8"))
        return Ending(
            exit_code=int(data["exit_code"]),
            at=str(data["at"]),
            tests={str(k): int(v) for k, v in dict(data.get("tests") or {}).items()},
            commit=data.get("commit"),
            branch=data.get("branch"),
            where=data.get("where"),
            archived=data.get("archived"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
