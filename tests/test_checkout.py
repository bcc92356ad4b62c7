"""A fresh clone has every file the tests and the packaged data read.

CI runs on a fresh clone: a fixture that exists here but is ignored by git
passes locally and fails there. This guards the whole class.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("tests", "loopd", "sprints", "prompts", "phases", "benchmarks", ".ci")


def _untracked(paths: tuple[str, ...]) -> list[str]:
    # --others without --exclude-standard: untracked files, ignored ones included.
    done = subprocess.run(
        ["git", "ls-files", "--others", "--", *paths],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    names = done.stdout.splitlines()
    return [n for n in names if "__pycache__" not in n and not n.endswith(".pyc")]


def test_every_fixture_and_data_file_is_in_git() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (e.g. an unpacked sdist)")
    missing = _untracked(SHIPPED)
    assert not missing, f"not in git, so a fresh clone lacks them: {missing}"
