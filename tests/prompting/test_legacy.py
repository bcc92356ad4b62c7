"""loop-v2 prompts: the loop-v2/prompts layer, v3 prompts skipped, loopd's context appended.

The fixtures are small prompts in the style of loop-v2's own (the archived v2 prompts and the
later v3 ones); the real files were tried by hand (see the README's "loop-v2 templates").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopd import resources
from loopd.errors import LoopdError
from loopd.prompting import PromptContext, find_template, render_prompt
from loopd.prompting.legacy import v3_marker
from loopd.sprint import Sprint
from tests.cli import run_cli
from tests.prompting.conftest import write

V2_IMPLEMENT = """# Implementation Agent

Sprint: {SPRINT}. Read `{SPRINT_DIR}/IMPLEMENTATION_PLAN.md` and do the first unchecked task.

```bash
curl -s "http://localhost:${LOOP_BACKEND_PORT}${LOOP_BACKEND_HEALTH}"
```
Return `{}` only from stubs.
"""
V2_FIX_SERVICE = "- **Service**: {SERVICE_NAME}\n- **Log File**: {LOG_FILE}\n- **Port**: {PORT}\n"
V3_VRC = """# Vision Reality Check

## Context

- **Sprint**: {SPRINT}

### Vision
{VISION}

Report with `report_vrc(...)`.
"""
V3_EXECUTE = "# Execute\n\nUse manage_task(action='complete') when done.\n"
V2_FIX = "# Fixer\n\nYou fix failing tests in {SPRINT_DIR}. Keep changes small.\n"
V2_RUNNER = "# Tester\n\nRun the test like a user would.\n"
V2_VRC = "# VRC\n\nCheck every row of {SPRINT_DIR}/VALUE_CHECKLIST.md against the app.\n"


def loop_v2(repo: Path, name: str, text: str) -> Path:
    return write(repo / "loop-v2" / "prompts" / f"{name}.md", text)


def test_loop_v2_prompts_sit_below_the_sprint_and_repo_layers_above_the_defaults(
    sprint: Sprint, repo: Path, minimal_context: PromptContext
) -> None:
    path = loop_v2(repo, "implement", V2_IMPLEMENT)
    ref = find_template("implement", sprint, repo)
    assert (ref.layer, ref.kind, ref.path, ref.warnings) == ("loop-v2", "legacy", path, ())
    text = render_prompt("implement", minimal_context, sprint, repo).text
    assert "Sprint: s1. Read `docs/sprints/s1/IMPLEMENTATION_PLAN.md`" in text
    assert "${LOOP_BACKEND_PORT}${LOOP_BACKEND_HEALTH}" in text and "`{}`" in text
    write(repo / ".loopd/prompts/implement.md.j2", "repo\n")
    assert find_template("implement", sprint, repo).layer == "repo"
    write(sprint.prompts_dir / "implement.md", "sprint\n")
    assert find_template("implement", sprint, repo).layer == "sprint"


def test_prompts_list_names_the_loop_v2_layer(repo: Path, sprint: Sprint) -> None:
    loop_v2(repo, "verify-blockers", "Re-check blockers of {SPRINT}.\n")
    loop_v2(repo, "blocker-check", "A v2 prompt loopd never calls, listed as an extra.\n")
    result = run_cli(repo, "prompts", "list", "--sprint", "s1")
    assert result.code == 0, result.err
    rows = {line.split()[0]: line.split()[1:] for line in result.out.splitlines()}
    assert rows["verify-blockers"] == ["loop-v2", "legacy", "loop-v2/prompts/verify-blockers.md"]
    assert rows["blocker-check"][0] == "loop-v2" and rows["plan"][0] == "default"


def test_v2_placeholders_of_fix_service_are_not_v3() -> None:
    assert v3_marker(V2_FIX_SERVICE) is None and v3_marker(V2_IMPLEMENT) is None


def test_a_v3_prompt_may_only_name_its_structured_tool() -> None:
    text = "# Discovery of {SPRINT}\n\nReport all findings via the `report_discovery` tool.\n"
    marker = v3_marker(text)
    assert marker is not None and marker.line == 3
    assert marker.reason == "the structured tool report_discovery, which claude -p lacks"
    assert v3_marker("Write the report_summary.md file.\n") is None


def test_a_v3_prompt_is_skipped_with_a_warning_naming_file_line_and_reason(
    repo: Path, sprint: Sprint
) -> None:
    loop_v2(repo, "vrc", V3_VRC)
    ref = find_template("vrc", sprint, repo)
    default = resources.data_dir("prompts") / "vrc.md.j2"
    assert (ref.layer, ref.path) == ("default", default)
    assert ref.warnings == (
        "loop-v2/prompts/vrc.md:8: not used: a loop-v2 v3 prompt (placeholder {VISION}, which"
        f" loopd never fills); {default} is used instead",
    )
    result = run_cli(repo, "prompts", "list", "--sprint", "s1")
    assert result.code == 0 and "loop-v2/prompts/vrc.md:8: not used" in result.err


def test_a_v3_only_name_is_not_listed_and_says_why(repo: Path, sprint: Sprint) -> None:
    loop_v2(repo, "execute", V3_EXECUTE)
    result = run_cli(repo, "prompts", "list", "--json")
    assert "execute" not in {entry["name"] for entry in json.loads(result.out)}
    assert (
        "loopd: warning: loop-v2/prompts/execute.md:3: not used: a loop-v2 v3 prompt (the"
        " structured tool manage_task, which claude -p lacks); no other template has its name"
    ) in result.err
    with pytest.raises(LoopdError, match="no usable template for prompt 'execute'"):
        find_template("execute", sprint, repo)


def test_a_loop_v2_fix_prompt_gets_the_test_its_evidence_and_attempts(
    repo: Path, sprint: Sprint, full_context: PromptContext
) -> None:
    write(sprint.prompts_dir / "fix.md", V2_FIX)
    rendered = render_prompt("fix", full_context, sprint, repo)
    text = rendered.text
    assert text.startswith(V2_FIX.replace("{SPRINT_DIR}", "docs/sprints/s1"))
    # What loop-v2's inline fixer never had: the test, what was observed, what was tried.
    for expected in (
        "# From loopd: the failing test",
        "**BT-7** (BT)",
        "- [ ] **BT-7**: Login works",
        "POST /api/login returned 401, expected 200",
        "Failure signature: `HTTP 401 Unauthorized`",
        "### Attempt 1",
        "still 401 on login",
        "**BT-9**: 401 on POST /api/logout",
    ):
        assert expected in text, expected
    assert rendered.warnings == (
        "docs/sprints/s1/prompts/fix.md:1: a loop-v2 prompt replaces 'fix'; loopd appends the"
        " failing test, its evidence and the earlier fix attempts (_partials/legacy/fix.md.j2):"
        " check the two fit together",
    )


def test_a_loop_v2_test_runner_prompt_gets_the_test_and_the_result_protocol(
    repo: Path, sprint: Sprint, full_context: PromptContext
) -> None:
    loop_v2(repo, "test-runner", V2_RUNNER)
    rendered = render_prompt("test-runner", full_context, sprint, repo)
    assert rendered.text.startswith(V2_RUNNER)
    assert "- [ ] **BT-7**: Login works" in rendered.text
    assert "RESULT: PASS|FAIL|BLOCKED_EXTERNAL|BLOCKED_FIXABLE" in rendered.text
    assert "REPRO:" in rendered.text and "http://localhost:8000" in rendered.text  # the preamble
    assert "replaces 'test-runner'" in rendered.warnings[0]


@pytest.mark.parametrize(("vrc", "asked"), [("final", True), ("vrc1", False), (None, False)])
def test_a_loop_v2_vrc_prompt_is_asked_for_the_verdict_only_in_the_final_vrc(
    repo: Path, sprint: Sprint, full_context: PromptContext, vrc: str | None, asked: bool
) -> None:
    loop_v2(repo, "vrc", V2_VRC)
    context = PromptContext.for_sprint(sprint, vrc=vrc)  # type: ignore[arg-type]
    text = render_prompt("vrc", context, sprint, repo).text
    assert text.startswith("# VRC\n\nCheck every row of docs/sprints/s1/VALUE_CHECKLIST.md")
    assert ("VISION: NOT_DELIVERED" in text) is asked
    assert ("delivered only when it has rows and every row is `[x]`" in text) is asked


def test_the_appended_section_can_be_overridden_like_any_partial(
    repo: Path, sprint: Sprint, full_context: PromptContext
) -> None:
    write(sprint.prompts_dir / "fix.md", V2_FIX)
    write(repo / ".loopd/prompts/_partials/legacy/fix.md.j2", "FIX {{ test.id }} NOW\n")
    text = render_prompt("fix", full_context, sprint, repo).text
    assert text.endswith("Keep changes small.\n\nFIX BT-7 NOW\n")
