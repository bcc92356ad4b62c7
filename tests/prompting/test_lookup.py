"""Which file wins for a prompt name: sprint > repo > packaged default, .md.j2 > .md."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd import resources
from loopd.errors import LoopdError
from loopd.prompting import (
    PROMPT_NAMES,
    ROLE_FOR_PROMPT,
    PromptContext,
    find_template,
    list_templates,
    render,
)
from loopd.sprint import Sprint
from tests.prompting.conftest import write

COARSE_ROLES = {
    "plan",
    "gate",
    "vrc",
    "service",
    "implement",
    "test",
    "fix",
    "regression",
    "discover",
}


def test_sprint_beats_repo_beats_default(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    assert find_template("fix", sprint, repo).layer == "default"
    repo_file = write(repo / ".loopd/prompts/fix.md.j2", "repo fix for {{ sprint }}\n")
    assert find_template("fix", sprint, repo).path == repo_file
    assert render("fix", minimal_context, sprint, repo) == "repo fix for s1\n"
    sprint_file = write(sprint.prompts_dir / "fix.md.j2", "sprint fix in {{ sprint_dir }}\n")
    ref = find_template("fix", sprint, repo)
    assert (ref.path, ref.layer, ref.kind) == (sprint_file, "sprint", "jinja")
    assert render("fix", minimal_context, sprint, repo) == "sprint fix in docs/sprints/s1\n"


def test_without_a_sprint_the_sprint_layer_is_skipped(sprint: Sprint, repo: Path) -> None:
    write(sprint.prompts_dir / "plan.md.j2", "sprint plan\n")
    assert find_template("plan", None, repo).layer == "default"


def test_jinja_beats_legacy_in_one_dir_but_not_across_layers(sprint: Sprint, repo: Path) -> None:
    write(repo / ".loopd/prompts/tidy.md", "legacy tidy\n")
    assert find_template("tidy", sprint, repo).kind == "legacy"
    write(repo / ".loopd/prompts/tidy.md.j2", "jinja tidy\n")
    assert find_template("tidy", sprint, repo).kind == "jinja"
    write(sprint.prompts_dir / "tidy.md", "legacy sprint tidy\n")
    ref = find_template("tidy", sprint, repo)
    assert (ref.layer, ref.kind) == ("sprint", "legacy")


def test_list_shows_every_name_and_extra_templates(sprint: Sprint, repo: Path) -> None:
    write(sprint.prompts_dir / "vrc.md", "legacy vrc\n")
    write(sprint.prompts_dir / "security-review.md.j2", "extra\n")
    write(repo / ".loopd/prompts/_shared.md.j2", "a partial, not a prompt\n")
    refs = list_templates(sprint, repo)
    assert [r.name for r in refs] == [*PROMPT_NAMES, "security-review"]
    by_name = {r.name: r for r in refs}
    assert (by_name["vrc"].layer, by_name["vrc"].kind) == ("sprint", "legacy")
    assert by_name["plan"].path == resources.data_dir("prompts") / "plan.md.j2"
    assert find_template("security-review", sprint, repo).layer == "sprint"


@pytest.mark.parametrize("name", ["fixx", "../prompts/fix", "_partials/rules", ""])
def test_unknown_name_lists_the_known_ones(name: str, sprint: Sprint, repo: Path) -> None:
    with pytest.raises(LoopdError) as caught:
        find_template(name, sprint, repo)
    assert f"unknown prompt name {name!r}" in str(caught.value)
    assert "verify-blockers" in str(caught.value)
    assert "discover-value" in str(caught.value)


def test_every_prompt_has_a_coarse_role() -> None:
    assert set(ROLE_FOR_PROMPT) == set(PROMPT_NAMES)
    assert set(ROLE_FOR_PROMPT.values()) <= COARSE_ROLES
    assert ROLE_FOR_PROMPT["test-runner"] == "test"
    assert ROLE_FOR_PROMPT["craap"] == "gate"
