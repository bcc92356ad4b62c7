"""Numbered file sets in a run directory, one per agent call, never overwritten.

``NNN-<role>-<id>.prompt.md`` / ``.out`` / ``.json``.  Numbers are allocated
under a lock on the directory and every file is created with ``O_EXCL``, so
two runners sharing a run directory (the daemon and a one-off command) never
take the same number nor clobber each other's files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from loopd.fsio import locked

_NUMBERED = re.compile(r"^(\d{3,})-")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
LOCK_NAME = ".numbering.lock"


@dataclass(frozen=True)
class CallFiles:
    """The three files of one agent call."""

    prompt: Path
    output: Path
    meta: Path


def slug(text: str) -> str:
    """``text`` safe for a file name: ``Task 3`` -> ``Task-3``."""
    return _UNSAFE.sub("-", text).strip("-.") or "call"


def allocate(run_dir: Path, role: str, ident: str, prompt: str) -> CallFiles:
    """Take the next number in ``run_dir`` and write ``prompt`` to its prompt file."""
    run_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{slug(role)}-{slug(ident)}"
    with locked(run_dir / LOCK_NAME):
        number = _next_number(run_dir)
        while True:
            base = run_dir / f"{number:03d}-{stem}"
            prompt_file = base.with_name(base.name + ".prompt.md")
            try:
                write_new(prompt_file, prompt)
                break
            except FileExistsError:
                number += 1
    return CallFiles(
        prompt=prompt_file,
        output=base.with_name(base.name + ".out"),
        meta=base.with_name(base.name + ".json"),
    )


def _next_number(run_dir: Path) -> int:
    numbers = [int(m.group(1)) for p in run_dir.iterdir() if (m := _NUMBERED.match(p.name))]
    return max(numbers, default=0) + 1


def write_new(path: Path, text: str) -> None:
    """Create ``path`` holding ``text``; FileExistsError if it already exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
