"""loop-v2's LOOP_STATE.md, read liberally.

loop-v2 wrote ``phase: 3`` / ``iteration: 12`` / ``gates_passed: vrc1,craap,``
/ ``last_updated: ...`` / ``sprint: ...`` lines from bash, and people (and
agents) rewrote them as Markdown: ``**Phase:** 3``, ``- **Iteration:** 12``,
``| Gates passed | vrc1, craap |``.  Any of those shapes is accepted; the first
occurrence of a key wins, lines that mean nothing here are ignored, and a value
that cannot be read (``Iteration: soon``) leaves the default.  The phase is
kept verbatim.  Gates become an exact set: ``vrc`` never stands for ``vrc1``.
"""

from __future__ import annotations

import datetime
import re
from typing import TypedDict


class LegacyFields(TypedDict):
    """The LoopState fields a loop-v2 file can tell."""

    sprint: str
    phase: str
    iteration: int
    loop_iteration: int
    gates: frozenset[str]
    updated: datetime.datetime | None


_ALIASES = {
    "phase": "phase",
    "current_phase": "phase",
    "iteration": "iteration",
    "iterations": "iteration",
    "test_iteration": "iteration",
    "current_iteration": "iteration",
    "loop_iteration": "loop_iteration",
    "outer_iteration": "loop_iteration",
    "gates_passed": "gates",
    "passed_gates": "gates",
    "gates": "gates",
    "last_updated": "updated",
    "updated": "updated",
    "updated_at": "updated",
    "sprint": "sprint",
}
# Markdown around a `key: value` line: quotes, headings, bullets, numbering.
_LEAD = re.compile(r"(?:>\s*|#+\s+|[-*+]\s+|\d{1,9}[.)]\s+)*")
_GATE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_NUMBER = re.compile(r"[0-9]{1,18}")


# What a file must tell to be a loop's state: a file telling none of these (empty, or
# something else saved over it) would silently re-plan the sprint from the top.
STATE_KEYS = ("phase", "iteration", "loop_iteration", "gates")


def parse_legacy(text: str) -> LegacyFields:
    """What a loop-v2 style file says (defaults for what it does not)."""
    return _fields(_found(text))


def tells_state(text: str) -> bool:
    """True when the file names a phase, an iteration or the gates passed (even empty ones)."""
    found = _found(text)
    return any(key in found for key in STATE_KEYS)


def _found(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        pair = _pair(line)
        if pair is not None and pair[0] in _ALIASES:
            found.setdefault(_ALIASES[pair[0]], pair[1])
    return found


def _fields(found: dict[str, str]) -> LegacyFields:
    return LegacyFields(
        sprint=found.get("sprint", ""),
        phase=found.get("phase", ""),
        iteration=_number(found.get("iteration")),
        loop_iteration=_number(found.get("loop_iteration")),
        gates=_gates(found.get("gates", "")),
        updated=_time(found.get("updated")),
    )


def _pair(line: str) -> tuple[str, str] | None:
    text = line.strip()
    if text.startswith("|"):
        cells = [cell.strip() for cell in text.strip("|").split("|")]
        if len(cells) >= 2 and cells[1]:
            return _key(cells[0]), _value(cells[1])
        text = cells[0]
    key, colon, value = _LEAD.sub("", text, count=1).partition(":")
    return (_key(key), _value(value)) if colon else None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _value(text: str) -> str:
    return text.strip().strip("*`").strip()


def _number(text: str | None) -> int:
    match = _NUMBER.match(text or "")
    return int(match.group()) if match else 0


def _gates(text: str) -> frozenset[str]:
    words = (word.strip("`*[](){}\"'") for word in re.split(r"[\s,;|]+", text))
    return frozenset(w for w in words if _GATE.fullmatch(w) and w.lower() != "none")


def _time(text: str | None) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
