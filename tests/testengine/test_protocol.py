"""The test runner's RESULT / EVIDENCE / REPRO report."""

from __future__ import annotations

import pytest

from loopd.testengine.protocol import parse_report


def test_a_full_report_is_read() -> None:
    report = parse_report(
        "I ran the check.\n"
        "RESULT: FAIL\n"
        "EVIDENCE: GET /api/users returned 401\n"
        'EVIDENCE: body: {"error": "no token"}\n'
        "REPRO: `curl -sf localhost:8000/api/users`\n"
    )
    assert report.found and report.verdict == "FAIL"
    assert report.evidence == ("GET /api/users returned 401", 'body: {"error": "no token"}')
    assert report.repro == "curl -sf localhost:8000/api/users"


def test_no_result_line_is_no_verdict_not_a_guess() -> None:
    report = parse_report("Everything looks great, it passes!")
    assert (report.verdict, report.found) == ("NO_VERDICT", False)


def test_the_last_result_line_wins_and_markdown_decoration_is_read() -> None:
    report = parse_report("RESULT: FAIL\nretried after a flake\n**RESULT:** PASS\n- EVIDENCE: ok")
    assert report.verdict == "PASS"
    assert report.evidence == ("ok",)


@pytest.mark.parametrize(
    ("evidence", "verdict"),
    [
        ("STRIPE_API_KEY is not set and there is no test mode", "BLOCKED_EXTERNAL"),
        ("a confirmation link is sent to a real inbox", "BLOCKED_EXTERNAL"),
        ("connection refused on :8000", "BLOCKED_FIXABLE"),
    ],
)
def test_a_bare_blocked_is_classified_by_its_evidence(evidence: str, verdict: str) -> None:
    assert parse_report(f"RESULT: BLOCKED\nEVIDENCE: {evidence}").verdict == verdict


def test_a_result_word_inside_a_sentence_does_not_count() -> None:
    assert not parse_report("The expected RESULT: PASS line never came").found


# Every way loop-v2's `grep "RESULT: PASS"` saw a pass (and bold around the colon, unseen by it).
@pytest.mark.parametrize(
    "line",
    [
        "## RESULT: PASS",
        "RESULT: PASSED",
        "**RESULT: PASS**",
        "**RESULT:** PASS",
        "RESULT: **PASS**",
        "`RESULT: PASS`",
        "> RESULT: PASS",
        "- RESULT: PASS (all 3 steps)",
        "1. RESULT: PASS",
        "| RESULT: PASS | the page shows 3 notes |",
        "RESULT: PASS ✅",
        "RESULT: ✅ PASS",
        "RESULT: PASS_WITH_NOTES",
    ],
)
def test_every_loop_v2_spelling_of_a_pass_is_a_pass(line: str) -> None:
    report = parse_report(f"I opened the page.\n\n{line}\nEVIDENCE: 3 notes listed")
    assert (report.verdict, report.found) == ("PASS", True)
    assert report.evidence == ("3 notes listed",)


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        ("### RESULT: FAIL", "FAIL"),
        ("**RESULT: FAILED**", "FAIL"),
        ("## RESULT: BLOCKED_EXTERNAL", "BLOCKED_EXTERNAL"),
        ("**RESULT:** BLOCKED_FIXABLE", "BLOCKED_FIXABLE"),
    ],
)
def test_other_verdicts_read_through_the_same_decoration(line: str, verdict: str) -> None:
    assert parse_report(f"{line}\nEVIDENCE: connection refused on :8000").verdict == verdict


def test_an_agent_that_changes_its_mind_is_judged_by_its_last_verdict() -> None:
    # loop-v2 took PASS when it appeared anywhere; here the conclusion counts.
    second_look = (
        "RESULT: PASS\nEVIDENCE: the list rendered\n"
        "Wait: the list is yesterday's cache. Reloading shows an empty list.\n"
        "RESULT: FAIL\nEVIDENCE: after reload GET /api/notes returned []"
    )
    report = parse_report(second_look)
    assert report.verdict == "FAIL"
    assert report.evidence[-1] == "after reload GET /api/notes returned []"
    corrected = "RESULT: FAIL\nretried on the right port\n## RESULT: PASS"
    assert parse_report(corrected).verdict == "PASS"


@pytest.mark.parametrize(
    "template",
    [
        "RESULT: PASS|FAIL|BLOCKED_EXTERNAL|BLOCKED_FIXABLE",
        "RESULT: [PASS|FAIL|BLOCKED]",
        "RESULT: PASS / FAIL",
    ],
)
def test_the_format_template_echoed_back_is_not_a_verdict(template: str) -> None:
    assert not parse_report(f"The format is:\n{template}\nI could not start.").found
    assert parse_report(f"RESULT: FAIL\nEVIDENCE: 500\n{template}").verdict == "FAIL"


@pytest.mark.parametrize("words", ["the login page", "no OAuth client", "a token is needed"])
def test_a_bare_blocked_naming_loop_v2s_words_is_external(words: str) -> None:
    # lib/tests.sh: api.key|credential|oauth|token|login|auth means EXTERNAL.
    assert parse_report(f"RESULT: BLOCKED\nEVIDENCE: {words}").verdict == "BLOCKED_EXTERNAL"


def test_a_bare_blocked_reads_loop_v2s_action_line_too() -> None:
    answer = "RESULT: BLOCKED\nEVIDENCE: the sync step stops\nACTION: user must add OAuth keys"
    assert parse_report(answer).verdict == "BLOCKED_EXTERNAL"
    assert parse_report("RESULT: BLOCKED\nACTION: start the API").verdict == "BLOCKED_FIXABLE"


def test_lower_case_is_not_a_verdict_as_in_loop_v2() -> None:
    assert not parse_report("result: pass").found
    assert not parse_report("RESULT: PASSWORD reset mail sent").found
