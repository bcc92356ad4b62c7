"""Failure signatures: what two failures have in common when they share a root cause.

A signature is the error class plus the key message, with everything that
differs between runs or between tests of one cause stripped: numbers, ids
(UUIDs, hashes, long hex), paths and URL paths, timestamps, quoted values.
HTTP status codes are kept: a 401 and a 500 are different failures.  Five
tests that each print ``GET /api/<thing> returned 401 Unauthorized`` share
one signature, so they get one fixer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_SIGNATURE = 160

# An error class name, dotted or not: ValueError, requests.exceptions.ConnectTimeout.
_CLASS = r"(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Failure|Fault|Refused|Timeout)"
_ERROR_CLASS = re.compile(rf"\b({_CLASS})\b")
_CLASS_PREFIX = re.compile(r"^.*?\b(?:[\w]+\.)*[A-Z]\w*(?:Error|Exception):\s*")
_ERRORISH = re.compile(
    r"(?i)error|exception|fail|refused|denied|unauthori[sz]ed|forbidden|not found|timed? ?out"
    r"|traceback|panic|fatal|expected|assert|\b[45]\d\d\b|missing|cannot|can't|unable|invalid"
)
# "ValueError: bad id 41", pytest's "E       AssertionError: assert 2 == 3":
# a class with its message says more than a bare "tests/x.py:9: AssertionError".
_CLASS_WITH_MESSAGE = re.compile(rf"^(?:E\s+)?{_CLASS}:\s*\S")
_PYTEST_E = re.compile(r"^E\s+")
_NOISE = re.compile(
    r"(?i)^(?:[=_-]{3,}.*|\s*\d+ (?:passed|failed|errors?)\b.*|FAILED .*|ERROR .*)$"
)
_HTTP_STATUS = re.compile(
    r"(?i)\b(?:https?(?:/\d(?:\.\d)?)?|status(?:[ _]code)?|code|expected|got|returned|returns"
    r"|response|responded(?: with)?)[\s:=]*([1-5]\d\d)\b"
    r"|\b([1-5]\d\d)(?=\s+(?:OK\b|[A-Z][a-z]+))"
)
_STRIPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?"),
        "<time>",
    ),
    (re.compile(r"\b\d{4}-\d\d-\d\d\b"), "<date>"),
    (re.compile(r"\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b"), "<time>"),
    (re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"(?i)\b0x[0-9a-f]+\b"), "<hex>"),
    (re.compile(r"(?i)\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b"), "<id>"),
    (re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>)]+", re.IGNORECASE), "<url>"),
    (
        re.compile(
            r"(?<![\w.:/\\-])(?!HTTPS?/)(?:[A-Za-z]:)?[\w.@%+~-]*(?:[/\\][\w.@%+~-]+)+[/\\]?(?::\d+)*"
        ),
        "<path>",
    ),
    (
        re.compile(
            r"\b[\w-]+\.(?:py|js|ts|tsx|jsx|go|rs|rb|java|kt|c|h|cpp|json|ya?ml)\b(?::\d+)*"
        ),
        "<path>",
    ),
    (re.compile(r"'[^'\n]{1,80}'|\"[^\"\n]{1,80}\""), "<str>"),
    (re.compile(r"(?<![A-Za-z_])\d+(?:\.\d+)*"), "<n>"),
)
# Private-use characters: no pattern above matches them.
_MARK_BASE = 0xE000


def key_line(lines: Iterable[str], output: str) -> str:
    """The line that best says what went wrong.

    The first error-looking line of ``lines`` (EVIDENCE lines, JUnit
    messages), else of ``output`` read from its end (the error is usually
    last), else the last non-empty line.
    """
    candidates = [line.strip() for line in lines if line.strip()]
    for line in candidates:
        if _ERRORISH.search(line):
            return line
    if candidates:
        return candidates[0]
    tail = [line.strip() for line in output.splitlines() if line.strip()]
    tail = [line for line in tail if not _NOISE.match(line)] or tail
    for pattern in (_CLASS_WITH_MESSAGE, _ERRORISH):
        for line in reversed(tail):
            if pattern.search(line):
                return _PYTEST_E.sub("", line)
    return tail[-1] if tail else ""


def error_class(text: str) -> str | None:
    """The last exception/error class name mentioned in ``text`` (``ValueError``)."""
    found = _ERROR_CLASS.findall(text)
    return found[-1].rsplit(".", 1)[-1] if found else None


def normalize(message: str) -> str:
    """``message`` with numbers, ids, paths, URLs, timestamps and quoted values stripped."""
    kept: list[str] = []

    def protect(match: re.Match[str]) -> str:
        group = 1 if match.group(1) else 2
        start, end = match.start(group) - match.start(), match.end(group) - match.start()
        kept.append(match.group(group))
        whole = match.group(0)
        return whole[:start] + chr(_MARK_BASE + len(kept) - 1) + whole[end:]

    text = _HTTP_STATUS.sub(protect, message)
    for pattern, placeholder in _STRIPS:
        text = pattern.sub(placeholder, text)
    for index, code in enumerate(kept):
        text = text.replace(chr(_MARK_BASE + index), code)
    return " ".join(text.split())


def signature(lines: Iterable[str], output: str, *, timed_out: bool = False) -> str:
    """The normalized signature of a failure: ``<ErrorClass>: <message>``."""
    lines = list(lines)
    line = key_line(lines, output)
    found = error_class(line) or error_class("\n".join(lines)) or error_class(output[-4000:])
    message = normalize(_CLASS_PREFIX.sub("", line, count=1))
    head = "Timeout" if timed_out else found
    text = f"{head}: {message}" if head and message else head or message or "no output"
    return text[:MAX_SIGNATURE]
