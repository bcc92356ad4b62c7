"""Which changed paths git would ignore, asked of git itself in one call per batch.

``git check-ignore`` knows every rule (nested .gitignore files, negations,
.git/info/exclude, the user's global excludes) that a pattern library would
have to re-implement, and a debounced batch costs one process of a few
milliseconds.  Tracked files are never reported ignored, as in git.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from loopd import proc
from loopd.errors import LoopdError

CHECK_TIMEOUT = 30.0
_NONE_IGNORED = 1  # check-ignore's status when no path matched


class GitIgnore:
    """Asks ``git check-ignore`` in ``repo``."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo

    def ignored(self, paths: Sequence[str]) -> set[str]:
        """The repo-relative ``paths`` git ignores; LoopdError if git cannot tell."""
        if not paths:
            return set()
        done = proc.run(
            ["git", "check-ignore", "--stdin", "-z"],
            cwd=self.repo,
            input="\0".join(paths) + "\0",
            timeout=CHECK_TIMEOUT,
        )
        if done.returncode == _NONE_IGNORED:
            return set()
        if not done.ok:
            raise LoopdError(f"git check-ignore failed: {done.output.strip()}", path=self.repo)
        return {part for part in done.stdout.split("\0") if part}
