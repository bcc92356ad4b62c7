"""Rendering: live edits, legacy loop-v2 templates, and errors that point at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.prompting import PromptContext, render
from loopd.sprint import Sprint


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def render_error(name: str, context: PromptContext, sprint: Sprint, repo: Path) -> str:
    with pytest.raises(LoopdError) as caught:
        render(name, context, sprint, repo)
    return str(caught.value)


def test_a_new_override_counts_on_the_next_render(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    assert render("implement", minimal_context, sprint, repo).startswith("# Implement")
    write(sprint.prompts_dir / "implement.md.j2", "custom implement\n")
    assert render("implement", minimal_context, sprint, repo) == "custom implement\n"


def test_an_edited_template_counts_on_the_next_render(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    path = write(sprint.prompts_dir / "plan.md.j2", "first\n")
    assert render("plan", minimal_context, sprint, repo) == "first\n"
    path.write_text("second\n")
    assert render("plan", minimal_context, sprint, repo) == "second\n"


def test_a_partial_override_changes_the_default_prompts(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    write(repo / ".loopd/prompts/_partials/rules.md.j2", "HOUSE RULES for {{ sprint }}\n")
    assert "HOUSE RULES for s1" in render("fix", minimal_context, sprint, repo)


def test_legacy_template_substitutes_only_sprint_names(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    legacy = "Sprint {SPRINT} in {SPRINT_DIR}/PLAN.md\r\nKeep {{ this }} and {% that %} {OTHER}\r\n"
    write(sprint.prompts_dir / "craap.md", "").write_bytes(legacy.encode())
    assert render("craap", minimal_context, sprint, repo) == (
        "Sprint s1 in docs/sprints/s1/PLAN.md\r\nKeep {{ this }} and {% that %} {OTHER}\r\n"
    )


def test_undefined_variable_names_file_and_line(
    sprint: Sprint, repo: Path, full_context: PromptContext
) -> None:
    write(sprint.prompts_dir / "fix.md.j2", "# Fix\n\n{{ evidence.output }}\n{{ evidnce }}\n")
    message = render_error("fix", full_context, sprint, repo)
    assert message == "docs/sprints/s1/prompts/fix.md.j2:4: 'evidnce' is undefined"


def test_attribute_of_a_missing_field_is_an_error(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    write(sprint.prompts_dir / "fix.md.j2", "{{ test.id }}\n")
    message = render_error("fix", minimal_context, sprint, repo)
    assert message.startswith("docs/sprints/s1/prompts/fix.md.j2:1: ")
    assert "'None' has no attribute 'id'" in message


def test_syntax_error_names_file_and_line(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    write(repo / ".loopd/prompts/tidy.md.j2", "ok\n{% if gate %}\nno endif\n")
    message = render_error("tidy", minimal_context, sprint, repo)
    assert message.startswith(".loopd/prompts/tidy.md.j2:3: ")
    assert "endif" in message


def test_missing_include_names_the_including_line(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    write(sprint.prompts_dir / "vrc.md.j2", "# VRC\n{% include '_partials/nope.md.j2' %}\n")
    message = render_error("vrc", minimal_context, sprint, repo)
    assert message.startswith("docs/sprints/s1/prompts/vrc.md.j2:2: ")
    assert "'_partials/nope.md.j2' not found" in message


def test_error_inside_a_partial_names_the_partial(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    write(sprint.prompts_dir / "_partials/rules.md.j2", "line one\n{{ nothing_here }}\n")
    message = render_error("plan", minimal_context, sprint, repo)
    assert message == "docs/sprints/s1/prompts/_partials/rules.md.j2:2: 'nothing_here' is undefined"
