"""Finding files near the project's top: .env files, fresh JUnit reports."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

# Dependencies, virtualenvs, caches and loopd's own files hold nothing of the project's.
SKIP_DIRS = frozenset(
    {".git", "node_modules", ".loopd", ".venv", "venv", "__pycache__", "dist", ".tox"}
)


def files_below(root: Path, depth: int, wanted: Callable[[Path], bool]) -> Iterator[Path]:
    """Files under ``root``, at most ``depth`` directories down, for which ``wanted`` holds."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if depth > 0 and entry.name not in SKIP_DIRS:
                yield from files_below(Path(entry.path), depth - 1, wanted)
        elif entry.is_file() and wanted(Path(entry.path)):
            yield Path(entry.path)
