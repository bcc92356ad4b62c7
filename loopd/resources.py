"""Where the packaged defaults (phases/, prompts/, sprints/) live.

In a wheel they are package data under ``loopd/_data/``; in a source checkout
they are the top-level folders beside the package.  Callers ask here and never
care which.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the directory holding the packaged ``name`` (phases, prompts, sprints)."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"loopd is installed without its {name}/ data directory")
