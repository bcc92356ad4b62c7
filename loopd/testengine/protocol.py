"""The test runner's report: ``RESULT:``, ``EVIDENCE:`` and ``REPRO:`` lines (DESIGN.md).

A verdict is a line that starts (after markdown decoration: ``#``, ``>``,
``*``, ``_``, backticks, list bullets and numbers, table bars) with
``RESULT:`` followed by a verdict word, upper case as loop-v2 matched it.
Every spelling of a pass loop-v2's ``grep "RESULT: PASS"`` accepted is a
pass here too: ``## RESULT: PASS``, ``**RESULT: PASS**``, ``RESULT: PASSED``,
``RESULT: PASS ✅``; loopd also reads ``**RESULT:** PASS`` and
``RESULT: **PASS**``.  Two things loop-v2's substring match took for a
verdict are not one:

- a RESULT inside a sentence ("if it works I'll report RESULT: PASS"), and
- the format template echoed back (``RESULT: PASS|FAIL|BLOCKED``).

Several verdict lines: the last one wins.  loop-v2 took PASS when it
appeared anywhere; an agent that reasons aloud often writes a verdict, checks
again and corrects itself, and its last word is its conclusion.

loop-v2's bare ``RESULT: BLOCKED`` is classified as external when the
report's EVIDENCE and ACTION lines (the whole answer when it has none) name
something only outsiders can provide: loop-v2's words (``api key``,
``credential``, ``oauth``, ``token``, ``login``, ``auth``) or loopd's (a paid or
third-party service, an account, a human, a device, ...); otherwise fixable.

No RESULT line is no verdict (:data:`NO_VERDICT`): never a FAIL of the
product and never a guess.  What else leaves a call without a verdict (a
timeout, a signal) is decided by :func:`loopd.testengine.checks.observe_agent`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PASS = "PASS"
FAIL = "FAIL"
BLOCKED_EXTERNAL = "BLOCKED_EXTERNAL"
BLOCKED_FIXABLE = "BLOCKED_FIXABLE"
VERDICTS = (PASS, FAIL, BLOCKED_EXTERNAL, BLOCKED_FIXABLE)
# Not a verdict: what a test-runner call that ended without one is recorded as.
NO_VERDICT = "NO_VERDICT"

# What may stand before a keyword on its line: markdown, list bullets and numbers, table bars.
_LEAD = r"^[ \t>#*_`~|+-]*(?:\d+[.)][ \t]*)?[*_`~]*"
_WORD = r"(?![A-Za-z0-9])"
# Upper case only, as loop-v2's grep matched: PASS, PASSED, FAIL, FAILED, BLOCKED[_...].
_VERDICT = rf"(PASS(?:ED|ES|ING)?|FAIL(?:ED|S|ING|URE)?|BLOCKED(?:_EXTERNAL|_FIXABLE)?){_WORD}"
# ``PASS|FAIL`` or ``PASS/FAIL`` after the verdict is the format template, not an answer.
_TEMPLATE = r"(?![ \t]*[|/][ \t]*[*_`]*(?:PASS|FAIL|BLOCKED))"
_RESULT = re.compile(
    rf"{_LEAD}RESULT[*_`~ \t]*:[^\w\n:]{{0,8}}?{_VERDICT}{_TEMPLATE}", re.MULTILINE
)
_EVIDENCE = re.compile(rf"{_LEAD}EVIDENCE[*_`~ \t]*:(?:\*\*|__)?\s*(.+?)\s*$", re.MULTILINE)
_ACTION = re.compile(rf"{_LEAD}ACTION[*_`~ \t]*:(?:\*\*|__)?\s*(.+?)\s*$", re.MULTILINE)
_REPRO = re.compile(rf"{_LEAD}REPRO[*_`~ \t]*:(?:\*\*|__)?\s*(.+?)\s*$", re.MULTILINE)
_EXTERNAL = re.compile(
    # loop-v2's words (lib/tests.sh) ...
    r"(?i)api.?key|credential|oauth|token|login|auth"
    # ... and what loopd's prompt calls external.
    r"|third[- ]party|external|paid|subscription|account"
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
    """The report in an agent's ``text`` (the last verdict line wins; see the module doc)."""
    evidence = tuple(line for line in _EVIDENCE.findall(text) if line)
    repro = _repro(text)
    results = _RESULT.findall(text)
    if not results:
        return Report(NO_VERDICT, evidence, repro, found=False)
    return Report(_verdict(results[-1], text, evidence), evidence, repro, found=True)


def _verdict(word: str, text: str, evidence: tuple[str, ...]) -> str:
    if word.startswith(PASS):
        return PASS
    if word.startswith(FAIL):
        return FAIL
    if word in (BLOCKED_EXTERNAL, BLOCKED_FIXABLE):
        return word
    reasons = "\n".join((*evidence, *_ACTION.findall(text))) or text
    return BLOCKED_EXTERNAL if _EXTERNAL.search(reasons) else BLOCKED_FIXABLE


def _repro(text: str) -> str | None:
    found = _REPRO.findall(text)
    if not found:
        return None
    command = found[-1].strip()
    if len(command) > 1 and command[0] == command[-1] == "`":
        command = command.strip("`").strip()
    return command or None
