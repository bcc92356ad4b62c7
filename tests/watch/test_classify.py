from __future__ import annotations

from pathlib import Path

import pytest

from loopd.sprint import Sprint, sprint_for
from loopd.watch import Trigger, classify, is_editor_temp


@pytest.fixture
def sprint(tmp_path: Path) -> Sprint:
    return sprint_for(tmp_path, "docs/sprints", "s1")


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("docs/sprints/s1/VISION.md", Trigger.DOCS),
        ("docs/sprints/s1/PRD.md", Trigger.DOCS),
        ("docs/sprints/s1/ARCHITECTURE.md", Trigger.DOCS),
        ("docs/sprints/s1/IMPLEMENTATION_PLAN.md", Trigger.PLAN_PENDING),
        ("docs/sprints/s1/BETA_TEST_PLAN_v1.md", Trigger.PLAN_PENDING),
        ("docs/sprints/s1/LOOP_STATE.md", Trigger.STATE),
        ("docs/sprints/s1/prompts/build.md", Trigger.PROMPTS),
        ("docs/sprints/s1/prompts/deep/x.md", Trigger.PROMPTS),
        (".loopd/prompts/plan.md", Trigger.PROMPTS),
        ("loop-v2/prompts/implement.md", Trigger.PROMPTS),  # a prompt edit is no code change
        ("loop-v2/lib/tests.sh", Trigger.SOURCE),
        ("src/app.py", Trigger.SOURCE),
        ("README.md", Trigger.SOURCE),
        ("docs/sprints/s2/VISION.md", Trigger.SOURCE),  # another sprint's documents
        ("docs/sprints/s1/REGRESSION_LOG.md", Trigger.SOURCE),
        ("docs/sprints/s1/VISION.md.bak", Trigger.SOURCE),
        (".git/index", None),
        (".git", None),
        ("vendor/lib/.git/HEAD", None),
        (".loopd/s1/events.jsonl", None),
        (".loopd/config.yaml", None),
        (".loopd/prompts", None),  # the directory itself, not a prompt
        ("src/.app.py.swp", None),
        ("src/app.py~", None),
        ("src/.#app.py", None),
        ("src/4913", None),
        ("docs/sprints/s1/.IMPLEMENTATION_PLAN.md.k2j3h4.tmp", None),
    ],
)
def test_paths_are_classified_by_role(sprint: Sprint, rel: str, expected: Trigger | None) -> None:
    assert classify(sprint, sprint.repo / rel) is expected
    assert classify(sprint, Path(rel)) is expected


def test_paths_outside_the_repo_are_ignored(sprint: Sprint) -> None:
    assert classify(sprint, sprint.repo.parent / "elsewhere.py") is None
    assert classify(sprint, sprint.repo) is None


def test_a_sprint_elsewhere_in_the_repo_keeps_its_roles(tmp_path: Path) -> None:
    sprint = sprint_for(tmp_path, "planning", "alpha")
    assert classify(sprint, tmp_path / "planning/alpha/PRD.md") is Trigger.DOCS
    assert classify(sprint, tmp_path / "docs/sprints/s1/PRD.md") is Trigger.SOURCE


@pytest.mark.parametrize("name", ["a.swp", ".a.swo", "a~", ".#a", "#a#", "4913", ".a.x1.tmp"])
def test_editor_temp_names(name: str) -> None:
    assert is_editor_temp(name)


@pytest.mark.parametrize("name", ["swap.py", "a.tmpl", "tmp", "4914", "a.tmp"])
def test_ordinary_names_are_not_editor_temp(name: str) -> None:
    assert not is_editor_temp(name)
