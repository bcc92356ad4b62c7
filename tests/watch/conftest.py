from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loopd.config import WatchSettings
from loopd.events import EventLog
from loopd.sprint import Sprint, locate
from loopd.watch import Watcher
from tests.conftest import git

# Short enough for quick tests, long enough that one save is one batch.
QUICK = WatchSettings(debounce=0.05)


@pytest.fixture
def sprint(repo: Path, sprint_dir: Path) -> Sprint:
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text("print('hi')\n")
    (repo / ".gitignore").write_text("*.log\nbuild/\n.loopd/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    return locate(repo, "docs/sprints", "s1")


@pytest.fixture
def events(sprint: Sprint) -> EventLog:
    return EventLog(sprint.runtime / "events.jsonl")


@pytest.fixture
def watcher(sprint: Sprint, events: EventLog) -> Iterator[Watcher]:
    with Watcher(sprint, QUICK, events=events) as started:
        yield started
