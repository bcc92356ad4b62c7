"""Contexts for rendering prompts: everything set, and nothing optional set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from loopd.prompting import (
    Attempt,
    Evidence,
    Peer,
    PromptContext,
    ServiceReport,
    TaskInfo,
    TestInfo,
    render,
)
from loopd.sprint import Sprint, sprint_for


def write(path: Path, text: str) -> Path:
    """Create ``path`` (and its folders) holding ``text``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


EVIDENCE_OUTPUT = "POST /api/login\n```\nHTTP/1.1 401 Unauthorized\n```\n"


@pytest.fixture
def sprint(repo: Path, sprint_dir: Path) -> Sprint:
    return sprint_for(repo, "docs/sprints", sprint_dir.name)


@pytest.fixture
def full_context(sprint: Sprint) -> PromptContext:
    """A context with every field set, as a fix round would have it."""
    block = '- [ ] **BT-7**: Login works\n  - Expected: 200\n  - *(cmd: "pytest -q tests/t.py")*'
    return PromptContext.for_sprint(
        sprint,
        task=TaskInfo("BUILD-2", "BUILD", "Add the schema", "- [ ] **BUILD-2**: Add the schema"),
        test=TestInfo("BT-7", "BT", block, e2e="login flow", cmd="pytest -q tests/t.py"),
        evidence=Evidence(
            test_id="BT-7",
            attempt=2,
            verdict="FAIL",
            how="agent",
            exit_code=1,
            timed_out=False,
            duration=3.5,
            lines=("POST /api/login returned 401, expected 200",),
            output=EVIDENCE_OUTPUT,
            signature="HTTP 401 Unauthorized",
            log_path=".loopd/s1/runs/r1/004-test-BT-7.out",
        ),
        attempts=(
            Attempt(1, " app/auth.py | 4 ++--", "Parsed the bearer token", "still 401 on login"),
        ),
        cluster=(Peer("BT-9", "- [ ] **BT-9**: Logout works", "401 on POST /api/logout"),),
        related_tasks=("- [ ] **FIX-BT-7**: Make login return 200",),
        preamble="The API listens on http://localhost:8000.",
        vrc="final",
        gate="craap",
        services=(ServiceReport("api", "not_running", "connection refused on :8000"),),
        limits={"max_test_fix_attempts": 3},
        extra={"gaps": ["no CSV export"]},
    )


@pytest.fixture
def minimal_context(sprint: Sprint) -> PromptContext:
    """A context with only the sprint set: every optional field None or empty."""
    return PromptContext.for_sprint(sprint)


Render = Callable[[str, PromptContext], str]


@pytest.fixture
def rendered(sprint: Sprint, repo: Path) -> Render:
    """Render a prompt of the test sprint, through the full lookup chain."""
    return lambda name, context: render(name, context, sprint, repo)
