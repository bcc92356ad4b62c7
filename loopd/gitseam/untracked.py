"""Untracked files that were there before a step began: not the loop's to commit.

A user keeps notes, scratch scripts and downloads in the working tree without
committing them.  loop-v2 never committed such files (it staged tracked
changes and a few directories of its own); loopd stages what the loop and its
agents changed, so it takes the set of untracked files when a step begins and
leaves exactly those out of the step's commits.

The set is also written to ``.loopd/<sprint>/untracked.json`` (git-ignored,
never committed: it names the user's private files), so a step re-run after a
crash or ``kill -9`` compares against the set from before its first run, and
the files its agent made before the crash are still committed.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from loopd import fsio


@dataclass(frozen=True)
class Baseline:
    """The untracked files (repo-relative POSIX paths) when ``step`` began."""

    step: str
    files: frozenset[str]


def save(path: Path, baseline: Baseline) -> None:
    data = {"step": baseline.step, "files": sorted(baseline.files)}
    fsio.atomic_write(path, json.dumps(data) + "\n")


def load(path: Path) -> Baseline | None:
    """The saved baseline; None when there is none or it cannot be read (then one is taken)."""
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        if isinstance(data["step"], str) and all(isinstance(f, str) for f in files):
            return Baseline(data["step"], frozenset(files))
    return None


def chosen(new: list[str], before: frozenset[str] | None, always: tuple[str, ...]) -> list[str]:
    """The untracked files of ``new`` a loop commit stages.

    Those that are or are under a path of ``always`` (the sprint's directory,
    as loop-v2 did; the ``.gitignore`` loopd maintains) and those not in
    ``before``; all of them when no baseline was taken.  Never loopd's own temp
    files (a write killed before its rename leaves one; the next start removes it).
    """
    new = [p for p in new if not fsio.is_temp_name(p.rsplit("/", 1)[-1])]
    if before is None:
        return new
    return [p for p in new if p not in before or _under(p, always)]


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(f"{root}/") for root in roots)
