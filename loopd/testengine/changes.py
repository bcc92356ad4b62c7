"""What a fixer changed: the narrow part of the git seam the test engine needs.

The engine asks git for two things only: the current commit, and everything
changed since a commit (its commits plus the working tree), which
:class:`loopd.gitseam.GitSeam` provides.  loopd's own bookkeeping
(LOOP_STATE.md, rewritten around every agent call) is left out of a fix's
diff stat: it says what the fixer changed.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, runtime_checkable

from loopd.gitseam import DiffSummary


@runtime_checkable
class Changes(Protocol):
    def head(self) -> str | None: ...
    def changes_since(self, base: str, /) -> DiffSummary: ...


def fix_diffstat(changes: Changes, base: str, ignored: frozenset[str]) -> str:
    """The diff stat since ``base`` without the files in ``ignored`` (repo-relative paths)."""
    summary = changes.changes_since(base)
    files = tuple(f for f in summary.files if f.path not in ignored)
    return dataclasses.replace(summary, files=files).stat()
