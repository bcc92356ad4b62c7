"""The packaged default templates: one per prompt name, each renders under StrictUndefined."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from loopd.prompting import PROMPT_NAMES, PromptContext, find_template
from loopd.sprint import Sprint
from tests.prompting.conftest import EVIDENCE_OUTPUT, Render

GATES = ("craap", "clarity", "validate", "connect", "tidy")


@pytest.mark.parametrize("name", PROMPT_NAMES)
def test_every_name_has_a_packaged_jinja_default(name: str, sprint: Sprint, repo: Path) -> None:
    ref = find_template(name, sprint, repo)
    assert (ref.layer, ref.kind, ref.path.name) == ("default", "jinja", f"{name}.md.j2")


@pytest.mark.parametrize("name", PROMPT_NAMES)
@pytest.mark.parametrize("which", ["full_context", "minimal_context"])
def test_every_default_renders(
    name: str, which: str, sprint: Sprint, rendered: Render, request: pytest.FixtureRequest
) -> None:
    context: PromptContext = request.getfixturevalue(which)
    text = rendered(name, context)
    assert f"sprint {sprint.name}" in text
    # A None leaking into the text means a template forgot an optional field.
    assert "None" not in text
    assert context.paths.state in text, "every prompt says LOOP_STATE.md is loopd's"


@pytest.mark.parametrize("vrc", ["vrc1", "vrc2", "periodic", "final"])
def test_vrc_template_serves_each_check(vrc: str, sprint: Sprint, rendered: Render) -> None:
    text = rendered("vrc", PromptContext.for_sprint(sprint, vrc=vrc))
    assert f"({vrc})" in text.splitlines()[0]
    assert ("VISION: NOT_DELIVERED" in text) is (vrc == "final")
    assert ("GAP:" in text) is (vrc == "final")


def test_vrc1_asks_for_the_value_checklist(sprint: Sprint, rendered: Render) -> None:
    text = rendered("vrc", PromptContext.for_sprint(sprint, vrc="vrc1"))
    assert f"Write `{sprint.relative(sprint.value_checklist)}`" in text


def test_test_runner_states_the_result_protocol(
    rendered: Render, full_context: PromptContext
) -> None:
    text = rendered("test-runner", full_context)
    assert "RESULT: PASS|FAIL|BLOCKED_EXTERNAL|BLOCKED_FIXABLE" in text
    assert "EVIDENCE: <" in text
    assert "REPRO: <" in text
    for verdict in ("PASS", "FAIL", "BLOCKED_FIXABLE", "BLOCKED_EXTERNAL"):
        assert f"| `{verdict}` |" in text, "the blocker classification table"
    assert full_context.preamble in text
    assert full_context.test is not None
    assert full_context.test.block in text
    assert "pytest -q tests/t.py" in text


def test_fix_prompt_leads_with_evidence_attempts_and_peers(
    rendered: Render, full_context: PromptContext
) -> None:
    text = rendered("fix", full_context)
    assert "````\n" + EVIDENCE_OUTPUT + "````" in text, "output verbatim, fence longer than its ```"
    assert "POST /api/login returned 401, expected 200" in text
    assert "HTTP 401 Unauthorized" in text
    assert ".loopd/s1/runs/r1/004-test-BT-7.out" in text
    assert "attempt 2 of 3" in text
    for fragment in ("app/auth.py | 4 ++--", "Parsed the bearer token", "still 401 on login"):
        assert fragment in text
    assert "**BT-9**: 401 on POST /api/logout" in text
    assert "- [ ] **FIX-BT-7**: Make login return 200" in text
    assert full_context.preamble in text
    test_section = text.index("## The test")
    for heading in ("## Evidence", "## Earlier attempts", "## Other tests failing"):
        assert text.index(heading) < test_section, f"{heading} comes before the test block"


def test_fix_prompt_without_evidence_says_so(
    rendered: Render, minimal_context: PromptContext
) -> None:
    text = rendered("fix", minimal_context)
    assert "No evidence was captured" in text
    assert "## Earlier attempts" not in text
    assert "## Other tests failing" not in text


def test_fix_prompt_reports_a_timeout(rendered: Render, full_context: PromptContext) -> None:
    assert full_context.evidence is not None
    evidence = replace(full_context.evidence, timed_out=True, duration=120.0)
    assert "timed out after 120 s" in rendered("fix", replace(full_context, evidence=evidence))


def test_beta_plan_asks_for_cmd_and_e2e_annotations(
    rendered: Render, minimal_context: PromptContext
) -> None:
    text = rendered("beta-plan", minimal_context)
    assert '*(cmd: "<command>")*' in text
    assert '*(E2E: "<Playwright test title>")*' in text


@pytest.mark.parametrize("gate", GATES)
def test_gates_pass_by_changing_nothing(
    gate: str, rendered: Render, minimal_context: PromptContext
) -> None:
    text = rendered(gate, minimal_context)
    assert "If you changed\nnothing, the gate passes" in text
    assert "Change a file only for a real problem" in text


def test_discover_lists_the_reported_gaps(rendered: Render, full_context: PromptContext) -> None:
    assert "- no CSV export" in rendered("discover", full_context)


def test_service_prompts_show_the_service_evidence(
    rendered: Render, full_context: PromptContext
) -> None:
    for name in ("service-readiness", "fix-service", "implement"):
        text = rendered(name, full_context)
        assert "### api: not_running" in text
        assert "connection refused on :8000" in text
