from __future__ import annotations

from pathlib import Path

import pytest

from loopd import sprint
from loopd.errors import LoopdError
from tests.conftest import git


def test_locate_and_validate(repo: Path, sprint_dir: Path) -> None:
    found = sprint.locate(repo, "docs/sprints", "s1")
    assert found.dir == sprint_dir.resolve()
    assert found.runtime == repo.resolve() / ".loopd" / "s1"
    assert sprint.validate(found) == [
        "docs/sprints/s1/ARCHITECTURE.md: optional ARCHITECTURE.md not found"
    ]
    (sprint_dir / "ARCHITECTURE.md").write_text("# A\n")
    assert sprint.validate(found) == []


def test_missing_required_document_names_the_path(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "PRD.md").unlink()
    with pytest.raises(LoopdError, match="required sprint document is missing") as err:
        sprint.validate(sprint.locate(repo, "docs/sprints", "s1"))
    assert str(sprint_dir.resolve() / "PRD.md") in str(err.value)


def test_missing_sprint_lists_known_ones(repo: Path, sprint_dir: Path) -> None:
    with pytest.raises(LoopdError, match="known sprints: s1"):
        sprint.locate(repo, "docs/sprints", "s2")


@pytest.mark.parametrize("name", ["../up", "a/b", "", ".hidden", "prompts", "with space"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(LoopdError):
        sprint.check_name(name)


def test_list_sprints_ignores_files(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir.parent / "notes.md").write_text("x")
    (sprint_dir.parent / "2-core").mkdir()
    assert sprint.list_sprints(repo, "docs/sprints") == ["2-core", "s1"]
    assert sprint.list_sprints(repo, "nowhere") == []


def test_a_sprint_committed_on_another_branch_is_pointed_to(repo: Path, sprint_dir: Path) -> None:
    # The sprint's documents went to its loop branch; the user is back on main.
    git(repo, "switch", "-q", "-c", "loop-v2/s1-20260101-000000")
    git(repo, "add", "docs")
    git(repo, "commit", "-q", "-m", "sprint docs")
    git(repo, "switch", "-q", "main")
    assert not sprint_dir.exists()
    with pytest.raises(LoopdError) as err:
        sprint.locate(repo, "docs/sprints", "s1")
    assert "it is on branch loop-v2/s1-20260101-000000" in str(err.value)
    assert "git switch loop-v2/s1-20260101-000000" in str(err.value)
    with pytest.raises(LoopdError, match="create it: loopd init s2"):
        sprint.locate(repo, "docs/sprints", "s2")


@pytest.mark.parametrize(
    ("markdown", "written"),
    [
        ("# Vision\n\n<!-- say who it is for -->\n\n## Outcomes\n\n-\n", False),
        ("# PRD\n\n## Requirements\n\n<!--\n  R1. like this\n-->\n\nR1.\n1.\n- [ ]\n", False),
        ("# Vision\n\nA tiny greeter for the command line.\n", True),
        ("## Outcomes\n\n- A user can greet the world.\n", True),
        ("R1. `greet` prints hello.\n", True),
        ("<!-- only a comment --> but text after it\n", True),
    ],
)
def test_an_unwritten_template_has_no_content(markdown: str, written: bool) -> None:
    assert sprint.has_content(markdown) is written
