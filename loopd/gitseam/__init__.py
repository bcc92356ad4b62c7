"""The git seam: the only way the loop touches git (branches, .gitignore, commits, diffs)."""

from loopd.gitseam.results import (
    BranchSetup,
    CommitInfo,
    CommitResult,
    DiffSummary,
    FileChange,
    StashRecord,
    Withheld,
)
from loopd.gitseam.seam import GitSeam

__all__ = [
    "BranchSetup",
    "CommitInfo",
    "CommitResult",
    "DiffSummary",
    "FileChange",
    "GitSeam",
    "StashRecord",
    "Withheld",
]
