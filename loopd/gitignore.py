"""Keep entries in a repo's .gitignore without disturbing what is there."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from loopd import fsio


def _covers(existing: set[str], entry: str) -> bool:
    # ".loopd/", ".loopd" and "/.loopd/" all ignore the same top-level folder.
    bare = entry.strip("/")
    return any(line.strip().strip("/") == bare for line in existing)


def ensure_entries(repo: Path, entries: Iterable[str]) -> list[str]:
    """Append each entry not already in ``repo/.gitignore``; return those added.

    Existing bytes (including CRLF line endings) are kept; a missing final
    newline is added before the appended block.
    """
    path = repo / ".gitignore"
    text = fsio.read_text(path) if path.exists() else ""
    present = set(text.splitlines())
    missing = [e for e in entries if not _covers(present, e)]
    if not missing:
        return []
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += newline
    fsio.atomic_write(path, text + "".join(f"{entry}{newline}" for entry in missing))
    return missing
