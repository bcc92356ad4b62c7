"""Shared fixtures: real git repos and sprints in tmp_path, and the CI skip rule."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(available: bool, reason: str) -> None:
    """Skip when something external is missing, but fail under CI=true: CI must run it."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` (test setup only; the package goes through its git seam)."""
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit on main."""
    return init_repo(tmp_path / "repo")


def init_repo(path: Path) -> Path:
    """Make ``path`` a real git repository with one commit on main."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@loopd.invalid")
    git(path, "config", "user.name", "loopd tests")
    (path / "README.md").write_text("# project\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def sprint_dir(repo: Path) -> Path:
    """docs/sprints/s1 in ``repo`` with the two required documents."""
    path = repo / "docs" / "sprints" / "s1"
    path.mkdir(parents=True)
    (path / "VISION.md").write_text("# Vision\n\nA tool people love.\n")
    (path / "PRD.md").write_text("# PRD\n\n- It works.\n")
    return path
