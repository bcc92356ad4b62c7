"""Failure signatures: one root cause, one signature; different failures stay apart."""

from __future__ import annotations

import pytest

from loopd.testengine.signature import error_class, key_line, normalize, signature


def test_one_cause_seen_by_different_tests_has_one_signature() -> None:
    a = signature(["GET /api/users returned 401 Unauthorized"], "")
    b = signature(["GET /api/orders/17 returned 401 Unauthorized"], "")
    assert a == b == "GET <path> returned 401 Unauthorized"


def test_http_statuses_are_kept_apart() -> None:
    assert signature(["GET /a returned 401 Unauthorized"], "") != signature(
        ["GET /a returned 500 Internal Server Error"], ""
    )
    assert "404" in normalize("expected 200, got 404")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("order 1234 not found", "order 98 not found"),
        ("at 2026-01-02T10:11:12.123Z", "at 2025-12-31 23:59:59+01:00"),
        ("user 3f2b8c1e-9a7d-4e6f-b5c4-1d2e3f4a5b6c", "user 00000000-1111-2222-3333-444455556666"),
        ("commit 4f3a9c2e11 failed", "commit deadbeef99 failed"),
        ("in /home/a/app/models.py:12", "in /srv/b/app/models.py:340"),
        ("see http://localhost:8000/x?id=1", "see https://example.test/y"),
        ("name 'alice' taken", "name 'bob' taken"),
        ("at 0x7f3a2b", "at 0x1"),
    ],
)
def test_what_differs_between_runs_is_stripped(first: str, second: str) -> None:
    assert normalize(first) == normalize(second)


def test_a_python_traceback_signature_is_its_last_error() -> None:
    output = (
        "Traceback (most recent call last):\n"
        '  File "/tmp/x/app.py", line 12, in <module>\n'
        "    load(7)\n"
        "ValueError: bad id 41 at 2026-01-02T10:11:12Z\n"
    )
    assert signature([], output) == "ValueError: bad id <n> at <time>"


def test_pytest_output_signature_skips_the_summary_lines() -> None:
    output = (
        "F\n"
        "E       AssertionError: assert 3 == 4\n"
        "FAILED tests/test_x.py::test_add - AssertionError: assert 3 == 4\n"
        "============ 1 failed in 0.12s ============\n"
    )
    assert signature([], output) == "AssertionError: assert <n> == <n>"


PYTEST_FAILURE = """\
F                                                                        [100%]
=================================== FAILURES ===================================
__________________________________ test_words __________________________________

    def test_words() -> None:
>       assert count("one\\ttwo  three\\n").words == {expected}
E       AssertionError: assert 2 == {expected}
E        +  where 2 = Counts(lines=1, words=2, chars=15).words

{path}:9: AssertionError
=========================== short test summary info ============================
FAILED {path}::test_words - AssertionError: assert 2 == {expected}
1 failed in 0.60s
"""


def test_real_pytest_output_is_told_by_its_assertion_not_its_location() -> None:
    output = PYTEST_FAILURE.format(expected=3, path="tests/test_core.py")
    assert key_line([], output) == "AssertionError: assert 2 == 3"
    assert signature([], output) == "AssertionError: assert <n> == <n>"


def test_different_assertions_in_one_file_are_different_failures() -> None:
    words = signature([], PYTEST_FAILURE.format(expected=3, path="tests/test_core.py"))
    other = PYTEST_FAILURE.replace("assert 2 == {expected}", "assert 'a' in {expected}")
    assert words != signature([], other.format(expected="[]", path="tests/test_core.py"))


def test_a_timeout_is_its_own_kind_of_failure() -> None:
    assert (
        signature([], "waiting for server...", timed_out=True) == "Timeout: waiting for server..."
    )
    assert signature([], "", timed_out=True) == "Timeout"


def test_evidence_lines_win_over_output_and_errors_win_among_them() -> None:
    lines = ["opened the page", "clicking Save showed: Error: quota exceeded"]
    assert key_line(lines, "noise\nmore noise") == lines[1]


def test_no_output_at_all_still_has_a_signature() -> None:
    assert signature([], "") == "no output"


def test_error_class_names_the_last_one() -> None:
    text = "requests.exceptions.ConnectionError: refused\nduring handling, KeyError: 'x'"
    assert error_class(text) == "KeyError"
