"""Reading Claude Code's output: its JSON result, and its plain-text refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopd.agents import AgentRequest, Fault
from loopd.agents.claude import ClaudeBackend
from loopd.agents.faults import classify
from loopd.proc import Completed
from tests.agents.support import ROOT_REFUSAL


def completed(stdout: str = "", stderr: str = "", returncode: int = 0) -> Completed:
    return Completed(argv=("claude",), returncode=returncode, stdout=stdout, stderr=stderr,
                     duration=1.0)  # fmt: skip


def result(**fields: object) -> str:
    return json.dumps({"type": "result", "subtype": "success", "is_error": False, **fields})


def parse(stdout: str = "", stderr: str = "", returncode: int = 0):  # type: ignore[no-untyped-def]
    return ClaudeBackend().parse(completed(stdout, stderr, returncode))


def test_success_result_gives_text_cost_session_and_turns() -> None:
    parsed = parse(result(result="RESULT: PASS", total_cost_usd=0.12, session_id="abc",
                          num_turns=4, permission_denials=[]))  # fmt: skip
    assert parsed.ok and parsed.fault is None and parsed.text == "RESULT: PASS"
    assert (parsed.cost_usd, parsed.session_id, parsed.num_turns) == (0.12, "abc", 4)


def test_is_error_with_success_subtype_and_exit_1_is_not_logged_in() -> None:
    parsed = parse(result(is_error=True, result="Invalid API key · Please run /login"),
                   returncode=1)  # fmt: skip
    assert not parsed.ok and parsed.fault is Fault.NOT_LOGGED_IN


def test_is_error_is_trusted_over_the_exit_code() -> None:
    assert parse(result(result="done"), returncode=1).ok


def test_is_error_without_an_infrastructure_cause_is_a_work_failure() -> None:
    parsed = parse(json.dumps({"type": "result", "subtype": "error_max_turns", "is_error": True,
                               "num_turns": 30}), returncode=1)  # fmt: skip
    assert not parsed.ok and parsed.fault is None and parsed.text == "error_max_turns"
    assert parsed.num_turns == 30


def test_refusal_as_root_is_plain_text_on_stderr() -> None:
    parsed = parse(stderr=ROOT_REFUSAL + "\n", returncode=1)
    assert not parsed.ok and parsed.fault is Fault.REFUSED_OPTION
    assert parsed.text == ROOT_REFUSAL + "\n"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ('API Error: 429 {"type":"rate_limit_error"}', Fault.RATE_LIMITED),
        ("Claude AI usage limit reached|1767225600", Fault.USAGE_LIMIT),
        ("5-hour limit reached ∙ resets 3pm", Fault.USAGE_LIMIT),
        ("Credit balance is too low", Fault.USAGE_LIMIT),
        ("API Error: Connection error.", Fault.API_UNREACHABLE),
        ("API Error: 529 overloaded_error", Fault.OVERLOADED),
        ("API Error: 500 Internal server error", Fault.API_UNREACHABLE),
        ("OAuth token has expired. Please obtain a new token", Fault.NOT_LOGGED_IN),
        ("The tests still fail: expected 200, got 404", None),
    ],
)
def test_error_results_are_classified(text: str, fault: Fault | None) -> None:
    assert parse(result(is_error=True, result=text), returncode=1).fault is fault


def test_a_successful_answer_mentioning_a_rate_limit_is_no_fault() -> None:
    parsed = parse(result(result="I added a rate limit of 429 requests"))
    assert parsed.ok and parsed.fault is None


def test_no_json_and_exit_0_is_a_work_failure_with_the_output_as_text() -> None:
    parsed = parse("I did it, I think")
    assert not parsed.ok and parsed.fault is None and parsed.text == "I did it, I think"


def test_connection_error_on_stderr_without_json() -> None:
    assert parse(stderr="Error: connect ECONNREFUSED 127.0.0.1:443", returncode=1).fault is (
        Fault.API_UNREACHABLE
    )


def test_permission_denials_are_listed_by_tool() -> None:
    denials = [
        {"tool_name": "Bash", "tool_use_id": "t1", "tool_input": {"command": "git push"}},
        {"tool_name": "Write", "tool_use_id": "t2", "tool_input": {"file_path": "/etc/x"}},
        {"tool_name": "WebFetch", "tool_use_id": "t3", "tool_input": {}},
    ]
    parsed = parse(result(result="partly", permission_denials=denials))
    assert parsed.permission_denials == ("Bash: git push", "Write: /etc/x", "WebFetch")


def test_skip_permissions_flag_only_when_configured() -> None:
    request = AgentRequest(role="plan", prompt_name="plan", prompt="x")
    plain = ClaudeBackend().invocation(request, Path("p.md"))
    skipping = ClaudeBackend(skip_permissions=True).invocation(request, Path("p.md"))
    assert "--dangerously-skip-permissions" not in plain.argv
    assert skipping.argv[-1] == "--dangerously-skip-permissions"


def test_classifier_ignores_ordinary_text() -> None:
    assert classify("all 12 tests passed", "") is None


@pytest.mark.parametrize(
    ("status", "message", "fault"),
    [
        (429, "API Error: Request rejected (429) · try later", Fault.RATE_LIMITED),
        (403, "Failed to authenticate. API Error: 403 forbidden", Fault.NOT_LOGGED_IN),
        (529, "API Error: 529 busy", Fault.OVERLOADED),
        (502, "API Error: 502 check your inference gateway", Fault.API_UNREACHABLE),
    ],
)
def test_api_error_status_decides_over_the_wording(status: int, message: str, fault: Fault) -> None:
    parsed = parse(result(is_error=True, result=message, api_error_status=status), returncode=1)
    assert not parsed.ok and parsed.fault is fault


def test_an_ordinary_work_error_with_no_status_is_no_fault() -> None:
    parsed = parse(result(is_error=True, result="I could not make the tests pass"), returncode=1)
    assert not parsed.ok and parsed.fault is None
