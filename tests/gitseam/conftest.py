"""Fixtures for the git seam tests: a seam on the real repo fixture, a fixed clock."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from loopd.config import GitSettings
from loopd.events import EventLog, read_events
from loopd.gitseam import GitSeam
from tests.conftest import git

NOW = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)


@dataclass
class FixedClock:
    at: datetime.datetime = NOW

    def now(self) -> datetime.datetime:
        return self.at

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        pass


def make_seam(repo: Path, **settings: Any) -> GitSeam:
    """A seam on ``repo`` logging to ``<repo>/.loopd/s1/events.jsonl``."""
    events = EventLog(repo / ".loopd" / "s1" / "events.jsonl")
    return GitSeam(repo, GitSettings(**settings), events, FixedClock())


def events_of(seam: GitSeam, kind: str) -> list[dict[str, Any]]:
    assert seam.events is not None
    return [e for e in read_events(seam.events.path) if e["type"] == kind]


def on_loop_branch(repo: Path, name: str = "loop-v2/s1-20260101-000000") -> str:
    """Check out a loop branch in ``repo`` (made by hand) and return its name."""
    git(repo, "switch", "-q", "-c", name)
    return name


@pytest.fixture
def seam(repo: Path) -> GitSeam:
    return make_seam(repo)


@pytest.fixture
def loop_seam(repo: Path) -> GitSeam:
    """A seam whose repo is already on a loop branch, with .loopd/ ignored."""
    on_loop_branch(repo)
    (repo / ".gitignore").write_text(".loopd/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore runtime")
    return make_seam(repo)
