"""Failure messages from the JUnit XML reports a check command wrote.

Where the report is, in order:

1. a path named in the command: ``--junitxml PATH``, ``--junit-xml=PATH``,
   ``--junitxml=PATH`` (pytest), ``PLAYWRIGHT_JUNIT_OUTPUT_NAME=PATH``;
2. the path loopd offered in ``LOOPD_JUNIT_XML`` (and Playwright's
   ``PLAYWRIGHT_JUNIT_OUTPUT_NAME``), when the command wrote it;
3. files named ``*junit*.xml``, ``report.xml`` or ``TEST-*.xml`` up to three
   levels below the check's working directory, modified during the run.

A report that cannot be parsed is skipped: the output tail is still evidence.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from xml.etree.ElementTree import ParseError

from junitparser import JUnitXml, TestSuite

from loopd.walk import files_below

MAX_MESSAGES = 20
SEARCH_DEPTH = 3
_FLAG = re.compile(r"^(?:--junit-?xml|PLAYWRIGHT_JUNIT_OUTPUT_NAME)(?:=(.+))?$")
_NAMES = re.compile(r"(?i)^(?:.*junit.*|report|TEST-.*)\.xml$")


def named_in(command: str) -> list[str]:
    """Report paths the command names (``--junitxml=out.xml`` ...)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    found: list[str] = []
    for index, word in enumerate(words):
        match = _FLAG.match(word)
        if match and match.group(1):
            found.append(match.group(1))
        elif match and index + 1 < len(words):
            found.append(words[index + 1])
    return found


def find_reports(command: str, cwd: Path, offered: Path, since: float) -> list[Path]:
    """The JUnit reports this run of ``command`` in ``cwd`` wrote (see the module doc)."""
    named = [cwd / path for path in named_in(command)]
    candidates = [*named, offered]
    if not any(path.is_file() for path in candidates):
        candidates += list(files_below(cwd, SEARCH_DEPTH, _named_like_a_report))
    seen: dict[Path, None] = {}
    for path in candidates:
        if _fresh(path, since):
            seen.setdefault(path.resolve(), None)
    return list(seen)


def _named_like_a_report(path: Path) -> bool:
    return bool(_NAMES.match(path.name))


def _fresh(path: Path, since: float) -> bool:
    try:
        return path.is_file() and path.stat().st_mtime >= since
    except OSError:
        return False


def failure_messages(reports: Iterable[Path]) -> list[str]:
    """``<case>: <type>: <message>`` for each failed or errored case (at most 20)."""
    messages: list[str] = []
    for path in reports:
        messages += _messages(path)
    return messages[:MAX_MESSAGES]


def _messages(path: Path) -> list[str]:
    try:
        xml = JUnitXml.fromfile(str(path))
    except (OSError, ParseError, ValueError, SyntaxError):
        return []
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    found = []
    for suite in suites:
        for case in suite:
            found += [_describe(case, result) for result in _failures(case)]
    return found


def _failures(case: object) -> list[object]:
    results = getattr(case, "result", None) or []
    if not isinstance(results, list):
        results = [results]
    return [r for r in results if type(r).__name__ in ("Failure", "Error")]


def _describe(case: object, result: object) -> str:
    name = ".".join(p for p in (getattr(case, "classname", ""), getattr(case, "name", "")) if p)
    kind = getattr(result, "type", None) or type(result).__name__
    message = getattr(result, "message", None) or _last_line(getattr(result, "text", None))
    text = f"{kind}: {message}" if message and kind not in message else message or kind
    return f"{name}: {text}" if name else text


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
