"""loop-v2 prompts (``<name>.md``, no Jinja): which ones loopd can use, and what it adds.

loop-v2 substituted only ``{SPRINT}`` and ``{SPRINT_DIR}`` in its prompts.
Two kinds of ``.md`` files turn up in users' repos:

- **v2 prompts** (loop-v2's own, or written for it): used as they are.  Three
  roles have a contract with loopd that loop-v2's prompts never carried,
  because loop-v2 ran its test runner and fixer inline: ``fix`` (the failing
  test and its evidence), ``test-runner`` (the RESULT/EVIDENCE/REPRO answer)
  and the final ``vrc`` (the VISION verdict).  A v2 prompt for one of these
  gets loopd's section appended (``_partials/legacy/<role>.md.j2``, rendered
  like any template), and a warning says so.
- **v3 prompts** (the later engine's ``prompts/*.md``): placeholders such as
  ``{VISION}`` or ``{TASK}`` that only that engine filled, and tool calls
  (``manage_task``, ``report_vrc``) that do not exist under ``claude -p``.
  They cannot work here, so they are skipped (the next layer's template is
  used), each with a warning naming the file, line and reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What loop-v2 substituted, and what its v2 fix-service prompt named from the
# environment loop-v2 exported for that call (never substituted, not v3).
SUBSTITUTED = frozenset({"SPRINT", "SPRINT_DIR"})
V2_NAMES = SUBSTITUTED | {"SERVICE_NAME", "LOG_FILE", "PORT"}
# {NAME} not part of a shell "${NAME}" nor of Jinja's "{{ NAME }}".
_PLACEHOLDER = re.compile(r"(?<![${])\{([A-Z][A-Z0-9_]*)\}(?!\})")
# The later engine's structured tools, called ("manage_task(") or named in code ("`report_vrc`").
_V3_TOOL = re.compile(r"\b(manage_task|report_[a-z_]+)\s*\(|`(manage_task|report_[a-z_]+)`")

# Roles whose output protocol or context loopd depends on: the appended section's partial.
APPENDED: dict[str, str] = {
    "fix": "_partials/legacy/fix.md.j2",
    "test-runner": "_partials/legacy/test-runner.md.j2",
    "vrc": "_partials/legacy/vrc.md.j2",
}
_WHAT = {
    "fix": "the failing test, its evidence and the earlier fix attempts",
    "test-runner": "the test to run and the RESULT/EVIDENCE/REPRO answer loopd parses",
    "vrc": "(for the final VRC) the VISION: DELIVERED|NOT_DELIVERED line loopd reads",
}


@dataclass(frozen=True)
class V3Marker:
    """Why a file is a v3 prompt: the first thing in it only the later engine understood."""

    line: int
    reason: str


def v3_marker(text: str) -> V3Marker | None:
    """The first v3 placeholder or tool call of ``text``, or None for a usable v2 prompt."""
    found: list[tuple[int, str]] = []
    placeholder = next((m for m in _PLACEHOLDER.finditer(text) if m.group(1) not in V2_NAMES), None)
    if placeholder is not None:
        what = f"placeholder {{{placeholder.group(1)}}}, which loopd never fills"
        found.append((placeholder.start(), what))
    tool = _V3_TOOL.search(text)
    if tool is not None:
        called = tool.group(1) or tool.group(2)
        found.append((tool.start(), f"the structured tool {called}, which claude -p lacks"))
    if not found:
        return None
    position, reason = min(found)
    return V3Marker(text.count("\n", 0, position) + 1, reason)


def substitute(text: str, sprint: str, sprint_dir: str) -> str:
    """loop-v2's substitution: ``{SPRINT_DIR}`` and ``{SPRINT}``, nothing else."""
    return text.replace("{SPRINT_DIR}", sprint_dir).replace("{SPRINT}", sprint)


def appends(name: str) -> str | None:
    """The partial loopd appends to a v2 prompt for ``name``, if it appends one."""
    return APPENDED.get(name)


def appended_warning(where: str, name: str) -> str:
    """The warning for a v2 prompt that replaces a role loopd depends on."""
    return (
        f"{where}:1: a loop-v2 prompt replaces '{name}'; loopd appends {_WHAT[name]}"
        f" ({APPENDED[name]}): check the two fit together"
    )


def v3_warning(where: str, marker: V3Marker, instead: str | None) -> str:
    """The warning for a skipped v3 prompt; ``instead``: the file used in its place."""
    used = f"{instead} is used instead" if instead else "no other template has its name"
    return f"{where}:{marker.line}: not used: a loop-v2 v3 prompt ({marker.reason}); {used}"
