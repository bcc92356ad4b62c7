"""The test runner's report: ``RESULT:``, ``EVIDENCE:`` and ``REPRO:`` lines (DESIGN.md).

No RESULT line is a FAIL whose evidence is the output itself, never a
guess.  loop-v2's bare ``RESULT: BLOCKED`` is still read: it is classified
as external when the evidence names something only outsiders can provide
(credentials, a paid or third-party service, a human), else as fixable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PASS = "PASS"
FAIL = "FAIL"
BLOCKED_EXTERNAL = "BLOCKED_EXTERNAL"
BLOCKED_FIXABLE = "BLOCKED_FIXABLE"
VERDICTS = (PASS, FAIL, BLOCKED_EXTERNAL, BLOCKED_FIXABLE)

_DECOR = r"[\s>*_`-]*"
_RESULT = re.compile(
    rf"^{_DECOR}RESULT{_DECOR}:{_DECOR}(PASS|FAIL|BLOCKED_EXTERNAL|BLOCKED_FIXABLE|BLOCKED)\b",
    re.MULTILINE,
)
_EVIDENCE = re.compile(rf"^{_DECOR}EVIDENCE{_DECOR}:\s*(.+?)\s*$", re.MULTILINE)
_REPRO = re.compile(rf"^{_DECOR}REPRO{_DECOR}:\s*(.+?)\s*$", re.MULTILINE)
_EXTERNAL = re.compile(
    r"(?i)credential|api[ _-]?key|third[- ]party|external|paid|subscription|account"
    r"|human|manual|physical|device|inbox|sms|captcha|licen[cs]e"
)


@dataclass(frozen=True)
class Report:
    """What a test runner reported; ``found`` is False when there was no RESULT line."""

    verdict: str
    evidence: tuple[str, ...]
    repro: str | None
    found: bool


def parse_report(text: str) -> Report:
    """The report in an agent's ``text`` (the last RESULT line wins)."""
    evidence = tuple(line for line in _EVIDENCE.findall(text) if line)
    repro = _repro(text)
    results = _RESULT.findall(text)
    if not results:
        return Report(FAIL, evidence, repro, found=False)
    verdict = results[-1]
    if verdict == "BLOCKED":
        external = _EXTERNAL.search("\n".join(evidence) or text)
        verdict = BLOCKED_EXTERNAL if external else BLOCKED_FIXABLE
    return Report(verdict, evidence, repro, found=True)


def _repro(text: str) -> str | None:
    found = _REPRO.findall(text)
    if not found:
        return None
    command = found[-1].strip()
    if len(command) > 1 and command[0] == command[-1] == "`":
        command = command.strip("`").strip()
    return command or None
