"""Rendering: live edits, legacy loop-v2 templates, and errors that point at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.prompting import PromptContext
from loopd.sprint import Sprint
from tests.prompting.conftest import Render, write


def test_a_new_override_counts_on_the_next_render(
    sprint: Sprint, rendered: Render, minimal_context: PromptContext
) -> None:
    assert rendered("implement", minimal_context).startswith("# Implement")
    write(sprint.prompts_dir / "implement.md.j2", "custom implement\n")
    assert rendered("implement", minimal_context) == "custom implement\n"


def test_an_edited_template_counts_on_the_next_render(
    sprint: Sprint, rendered: Render, minimal_context: PromptContext
) -> None:
    path = write(sprint.prompts_dir / "plan.md.j2", "first\n")
    assert rendered("plan", minimal_context) == "first\n"
    path.write_text("second\n")
    assert rendered("plan", minimal_context) == "second\n"


def test_a_partial_override_changes_the_default_prompts(
    repo: Path, rendered: Render, minimal_context: PromptContext
) -> None:
    write(repo / ".loopd/prompts/_partials/rules.md.j2", "HOUSE RULES for {{ sprint }}\n")
    assert "HOUSE RULES for s1" in rendered("fix", minimal_context)


def test_legacy_template_substitutes_only_sprint_names(
    sprint: Sprint, rendered: Render, minimal_context: PromptContext
) -> None:
    legacy = "Sprint {SPRINT} in {SPRINT_DIR}/PLAN.md\r\nKeep {{ this }}, {% that %}, ${OTHER}\r\n"
    write(sprint.prompts_dir / "craap.md", "").write_bytes(legacy.encode())
    assert rendered("craap", minimal_context) == (
        "Sprint s1 in docs/sprints/s1/PLAN.md\r\nKeep {{ this }}, {% that %}, ${OTHER}\r\n"
    )


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            (
                "docs/sprints/s1/prompts/fix.md.j2",
                "# Fix\n\n{{ evidence }}\n{{ evidnce }}\n",
                "fix",
                "docs/sprints/s1/prompts/fix.md.j2:4: 'evidnce' is undefined",
            ),
            id="undefined-variable",
        ),
        pytest.param(
            (
                "docs/sprints/s1/prompts/fix.md.j2",
                "{{ test.id }}\n",
                "fix",
                "docs/sprints/s1/prompts/fix.md.j2:1: 'None' has no attribute 'id'",
            ),
            id="field-not-set",
        ),
        pytest.param(
            (
                ".loopd/prompts/tidy.md.j2",
                "ok\n{% if gate %}\nno endif\n",
                "tidy",
                ".loopd/prompts/tidy.md.j2:3: Unexpected end of template.",
            ),
            id="syntax",
        ),
        pytest.param(
            (
                "docs/sprints/s1/prompts/vrc.md.j2",
                "# VRC\n{% include '_partials/nope.md.j2' %}\n",
                "vrc",
                "docs/sprints/s1/prompts/vrc.md.j2:2: included template '_partials/nope.md.j2'",
            ),
            id="missing-include",
        ),
        pytest.param(
            (
                "docs/sprints/s1/prompts/_partials/rules.md.j2",
                "line one\n{{ nothing_here }}\n",
                "plan",
                "docs/sprints/s1/prompts/_partials/rules.md.j2:2: 'nothing_here' is undefined",
            ),
            id="inside-a-partial",
        ),
    ],
)
def test_template_errors_name_file_and_line(
    case: tuple[str, str, str, str], repo: Path, rendered: Render, minimal_context: PromptContext
) -> None:
    file, source, name, expected = case
    write(repo / file, source)
    with pytest.raises(LoopdError) as caught:
        rendered(name, minimal_context)
    assert str(caught.value).startswith(expected)
