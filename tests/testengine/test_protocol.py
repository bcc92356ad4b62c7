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


def test_no_result_line_is_a_fail_not_a_guess() -> None:
    report = parse_report("Everything looks great, it passes!")
    assert (report.verdict, report.found) == ("FAIL", False)


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
