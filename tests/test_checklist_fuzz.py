"""Property tests for checklist parsing and editing.

The parser works with whole-text regular expressions for speed; ``reference``
below is a plain line-by-line reading of the same rules, written for clarity,
and every generated document must come out the same from both.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from loopd.checklist import Checklist, DocKind, Item, Status, edit
from loopd.errors import LoopdError

_ITEM = re.compile(
    r"([ \t]*)[-*+][ \t]+\[([^\]\r\n]{0,3})\][ \t]+\*\*"
    r"(Task \d+(?:\.\d+)*|[A-Z][A-Z0-9]*-[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*)"
    r"(?::\*\*|\*\*|:[ \t]+([^*\r\n]*?)\*\*)(.*)"
)
_KEYS = {"E2E": re.compile(r"\*\([eE]2[eE][ \t]*:"), "cmd": re.compile(r"\*\([cC][mM][dD][ \t]*:")}
_MARKERS = {" ": "PENDING", "x": "DONE", "X": "DONE", "B": "BLOCKED", "b": "BLOCKED"}
_MARKERS |= {"U": "USER", "u": "USER"}


class Refused(Exception):
    """The reference reading refuses the document at this line."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _blank(line: str) -> bool:
    return line.strip(" \t\r") == ""


def _width(line: str) -> int:
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return len(indent.expandtabs(4))


def _fence(stripped: str) -> str | None:
    for char in "`~":
        run = len(stripped) - len(stripped.lstrip(char))
        if run >= 3 and not (char == "`" and "`" in stripped[run:]):
            return char * run
    return None


def _closes(line: str, fence: str) -> bool:
    body = line[:-1] if line.endswith("\r") else line
    body = body.strip(" \t")
    return len(body) >= len(fence) and body == fence[0] * len(body)


def _ends_paragraph(stripped: str) -> bool:
    follows = r"(?:[ \t\r]|$)"
    if re.match(rf"(?:[-*+]|\d{{1,9}}[.)]|#{{1,6}}){follows}", stripped):
        return True
    if _fence(stripped) or stripped.startswith(("~~~", "<!--")):
        return True
    body = stripped[:-1] if stripped.endswith("\r") else stripped
    first = body[:1]
    return first in ("-", "_", "*") and body.count(first) >= 3 and not body.strip(f" \t{first}")


@dataclass
class Reading:
    lines: list[str]
    starts: list[int]
    hidden: list[bool] = field(default_factory=list)
    unclosed: int = -1  # line index of a never-closed opener

    def end_of(self, index: int) -> int:
        return self.starts[index] + len(self.lines[index]) + (index + 1 < len(self.lines))


def _hide(reading: Reading) -> None:
    fence: str | None = None
    comment = False
    opener = -1
    for index, line in enumerate(reading.lines):
        inside = fence is not None or comment
        reading.hidden.append(inside)
        if fence is not None:
            fence = None if _closes(line, fence) else fence
        elif comment:
            comment = "-->" not in line
        else:
            # A byte-order mark before line 1 is invisible.
            stripped = line.removeprefix("\ufeff" if index == 0 else "").lstrip(" \t")
            comment = stripped.startswith("<!--") and "-->" not in stripped[4:]
            fence = None if comment else _fence(stripped)
            opener = index
    if fence is not None or comment:
        reading.unclosed = opener


def _block(reading: Reading, index: int, width: int) -> int:
    """Index of the last line of the block of the item on line ``index``."""
    last, after_blank = index, False
    for j in range(index + 1, len(reading.lines)):
        line = reading.lines[j]
        if _blank(line):
            after_blank = True
            continue
        stripped = line.lstrip(" \t")
        ends = (after_blank and stripped[0] != "\r") or _ends_paragraph(stripped)
        if ends and not reading.hidden[j] and _width(line) <= width:
            break
        last, after_blank = j, False
    return last


def _last_nonblank(reading: Reading, index: int, before: int) -> int:
    last = index
    for j in range(index + 1, before):
        if not _blank(reading.lines[j]):
            last = j
    return last


def reference(text: str) -> list[dict[str, object]]:
    """Items of ``text`` by the documented rules, one line at a time; Refused if malformed."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    reading = Reading(lines, starts)
    _hide(reading)
    found = []
    for index, line in enumerate(lines):
        offset = 1 if index == 0 and line.startswith("\ufeff") else 0
        match = _ITEM.match(line[offset:])
        if match is None:
            continue
        if reading.hidden[index]:
            if reading.unclosed >= 0 and index > reading.unclosed:
                raise Refused(reading.unclosed + 1)
            continue
        found.append((index, offset, match))
    for index, _, match in found:
        if match.group(2) not in _MARKERS:
            raise Refused(index + 1)
    seen: set[str] = set()
    for index, _, match in found:
        if match.group(3) in seen:
            raise Refused(index + 1)
        seen.add(match.group(3))
    return [_item(reading, found, n) for n in range(len(found))]


def _item(
    reading: Reading, found: list[tuple[int, int, re.Match[str]]], n: int
) -> dict[str, object]:
    index, offset, match = found[n]
    last = _block(reading, index, _width(match.group(1)))
    own_last = last
    if n + 1 < len(found) and found[n + 1][0] <= last:
        own_last = _last_nonblank(reading, index, found[n + 1][0])
    inner, rest = match.group(4), match.group(5).strip()
    rest = rest[1:].lstrip() if rest.startswith(":") else rest
    start = reading.starts[index] + offset
    own = range(index, own_last + 1)
    return {
        "id": match.group(3),
        "status": _MARKERS[match.group(2)],
        "text": " ".join(part for part in ((inner or "").strip(), rest) if part),
        "line": index + 1,
        "span": (start, reading.end_of(last)),
        "own_span": (start, reading.end_of(own_last)),
        "marker_at": start + match.start(2),
        **{key: _annotation(reading, own, pattern) for key, pattern in _KEYS.items()},
    }


def _annotation(reading: Reading, own: range, pattern: re.Pattern[str]) -> str | None:
    values = []
    for j in own:
        line = reading.lines[j]
        if reading.hidden[j]:
            continue
        for match in pattern.finditer(line):
            rest = line[match.end() :].lstrip(" \t")
            close = rest.find('")*', 1)
            value = rest[1:close] if rest.startswith('"') and close > 0 else None
            if value is None or not value.strip():
                raise Refused(j + 1)
            values.append((j, value))
    if len(values) > 1:
        raise Refused(values[1][0] + 1)
    return values[0][1] if values else None


def must(item: Item | None) -> Item:
    """The item a test expects to exist."""
    assert item is not None
    return item


def _as_dict(item: Item) -> dict[str, object]:
    names = ("id", "text", "line", "span", "own_span", "marker_at")
    fields = {name: getattr(item, name) for name in names}
    fields["status"] = item.status.name
    fields["E2E"], fields["cmd"] = item.e2e, item.cmd
    return fields


def _parse_both(text: str) -> tuple[Checklist | None, list[dict[str, object]] | None]:
    try:
        expected = reference(text)
    except Refused:
        expected = None
    try:
        checklist = Checklist.parse(text, DocKind.TEST_PLAN)
    except LoopdError as exc:
        assert expected is None, f"refused at line {exc.line}, the reference accepts it"
        assert exc.line is not None
        return None, None
    assert expected is not None, "accepted; the reference refuses it"
    return checklist, expected


# Fragments of checklist documents, many of them nearly right.
_INDENTS = st.sampled_from(["", "", "  ", "    ", "\t", " \t", "   ", "      "])
_BULLETS = st.sampled_from(["-", "*", "+", "1.", "-"])
_GOOD_MARKS = st.sampled_from([" ", " ", "x", "X", "B", "U", "b", "u"])
_BAD_MARKS = st.sampled_from(["?", "-", "", "  ", "✓"])
_KINDS = st.sampled_from(["BT", "INT", "VAL", "UX", "BUILD", "FIX-BT", "Task", "bt", "X"])
_WORDS = st.sampled_from(
    [
        "login works",
        "ß ẞ",
        "emoji 🚀✅",
        "שלום עולם",
        "مرحبا",
        "tab\there",
        "**bold**",
        "`code`",
        "",
    ]
)
_BOLD = st.sampled_from(
    ["**{id}**: {text}", "**{id}:** {text}", "**{id}: {text}**", "**{id}** {text}"]
)
_GOOD_ANNOTATIONS = st.sampled_from(
    ['*(cmd: "pytest -k login")*', '*(E2E: "user can "log in" twice")*', '*(e2e: "x")*', "*(note)*"]
)
_BAD_ANNOTATIONS = st.sampled_from(
    ['*(cmd: "unterminated', '*(cmd: "")*', "*(cmd: bare)*", '*(CMD:"a")* *(cmd: "b")*']
)
_OTHER = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "\r",
        "# Heading",
        "## Tests",
        "#nospace",
        "```x```",
        "<!-- one line -->",
        "---",
        "* * *",
        "___",
        "plain text",
        "  indented text",
        "1. ordered",
        "- plain bullet",
        "  - [ ] unchecked without id",
        "> quoted - [ ] **BT-009**: x",
    ]
)


# Lines that open or close a code fence or comment (hiding what is between).
_HIDERS = st.sampled_from(["```", "```python", "~~~~", "   ```", "<!--", "-->", "````"])


@st.composite
def _item_line(draw: st.DrawFn, strict: bool) -> str:
    kind = draw(_KINDS)
    number = draw(st.integers(1, 400 if strict else 30))
    item_id = f"Task {number}" if kind == "Task" else f"{kind}-{number:03d}"
    bold = draw(_BOLD).format(id=item_id, text=draw(_WORDS))
    near_miss = not strict and draw(st.integers(0, 30)) == 0
    mark = draw(_BAD_MARKS if near_miss else _GOOD_MARKS)
    return f"{draw(_INDENTS)}{draw(_BULLETS)} [{mark}] {bold}"


@st.composite
def _line(draw: st.DrawFn, strict: bool) -> str:
    kind = draw(st.integers(0, 9))
    if kind < 3:
        return draw(_item_line(strict))
    if kind < 5:
        near_miss = not strict and draw(st.integers(0, 20)) == 0
        note = draw(_BAD_ANNOTATIONS if near_miss else _GOOD_ANNOTATIONS)
        return f"{draw(_INDENTS)}{draw(_WORDS)} {note}"
    if kind < 6:
        return draw(_INDENTS) + draw(st.text(max_size=12))
    if kind < 7 and not strict and draw(st.integers(0, 15)) == 0:
        return draw(_INDENTS) + draw(_HIDERS)
    return draw(_INDENTS) + draw(_OTHER)


@st.composite
def _hidden_block(draw: st.DrawFn, strict: bool) -> list[str]:
    """A code fence or comment with (often item-like) lines inside, closed or not."""
    opener, closer = draw(st.sampled_from([("```", "```"), ("~~~~", "~~~~~"), ("<!--", "-->")]))
    indent = draw(_INDENTS)
    inside = [draw(_line(strict)) for _ in range(draw(st.integers(0, 4)))]
    closed = strict or draw(st.integers(0, 9)) > 0
    return [indent + opener, *inside, *([indent + closer] if closed else [])]


@st.composite
def documents(draw: st.DrawFn, strict: bool = False) -> str:
    """Markdown checklists, CRLF or LF, with or without a final newline.

    Not strict: many lines are nearly right (odd markers, repeated IDs, broken
    annotations).  Strict: mostly well-formed, for tests that need a parse.
    """
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 50))):
        if draw(st.integers(0, 15)) == 0:
            lines += draw(_hidden_block(strict))
        else:
            lines.append(draw(_line(strict)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines)
    return text + newline if draw(st.booleans()) else text


_EXAMPLES = settings(max_examples=300, deadline=None)
_FEWER = settings(max_examples=120, deadline=None)


@_EXAMPLES
@given(st.text())
def test_arbitrary_text_parses_or_is_refused(text: str) -> None:
    _parse_both(text)


# Pieces glued with odd separators: lines split mid-way, CR alone, blank runs, tabs.
_PIECES = st.sampled_from(
    [
        *("- [ ] **BT-1**: a", "- [x] **BT-2**", "  * [B] **INT-3:** b", "\t+ [U] **Task 4: t** r"),
        *(" \t - [ ] **BT-7**: t", "     \t- [ ] **BT-8**: u", "\t \t  - x", "   \t  # h"),
        *("```", "~~~", "<!--", "-->", "# h", "---", "***", "1) x", "x```y", "__ _", "\ufeff"),
        *("", " ", "\r", "\t", "text", "  text", "   - y", "    deep", "\t\ttabbed"),
        *('*(cmd: "a")*', '*(E2E: "b"', ")*", '"', '*(cmd: "  ")*', '*(e2e:"q")*'),
    ]
)
_GLUE = st.sampled_from(["\n", "\r\n", "", " ", "\r", "\n\n", "\n \n\t\n"])
_GLUED = st.lists(st.tuples(_PIECES, _GLUE), max_size=30).map(
    lambda pairs: "".join(piece + glue for piece, glue in pairs)
)


@_EXAMPLES
@given(st.one_of(documents(), _GLUED))
def test_near_miss_documents_read_like_the_reference(text: str) -> None:
    checklist, expected = _parse_both(text)
    event("refused" if checklist is None else "parsed")
    if checklist is None or expected is None:
        return
    event(f"items: {min(len(expected), 5)}")
    assert [_as_dict(item) for item in checklist.items] == expected
    assert checklist.text == text
    for item in checklist.items:
        assert item.block == text[item.span[0] : item.span[1]]


@_FEWER
@given(documents(strict=True), st.data())
def test_set_status_changes_only_the_marker(text: str, data: st.DataObject) -> None:
    try:
        checklist = Checklist.parse(text, DocKind.PLAN)
    except LoopdError:
        assume(False)
        return
    assume(checklist.items)
    item = data.draw(st.sampled_from(checklist.items))
    status = data.draw(st.sampled_from(list(Status)))
    changed = checklist.set_status(item.id, status)
    assert len(changed.text) == len(text)
    differ = [n for n, (a, b) in enumerate(zip(text, changed.text, strict=True)) if a != b]
    assert differ in ([], [item.marker_at])
    again = Checklist.parse(changed.text, DocKind.PLAN)
    assert must(again.get(item.id)).status is status
    assert [i.id for i in again.items] == [i.id for i in checklist.items]


@_FEWER
@given(documents(strict=True), st.sampled_from(["FIX-BT-001", "REG-BT-002", "Task 99"]), _WORDS)
def test_append_adds_one_item_at_the_end(text: str, item_id: str, words: str) -> None:
    try:
        checklist = Checklist.parse(text, DocKind.PLAN)
        appended = checklist.append_task(item_id, f"{words}\nsecond line", ["- detail"])
    except LoopdError:
        assume(False)
        return
    if checklist.get(item_id) is not None:
        assert appended is checklist
        return
    newline = "\r\n" if text.rfind("\n") > 0 and text[text.rfind("\n") - 1] == "\r" else "\n"
    first = f"- [ ] **{item_id}**: {words}" if words else f"- [ ] **{item_id}**"
    tail = newline.join([first, "  second line", "  - detail"]) + newline
    if text and not text.endswith("\n"):
        tail = newline + tail
    assert appended.text == text + tail
    assert [i.id for i in appended.items] == [*(i.id for i in checklist.items), item_id]
    assert must(appended.get(item_id)).status is Status.PENDING


_CHANGES = {
    "set_status": lambda c: c.set_status("BT-001", Status.DONE),
    "reset": lambda c: c.reset("BT-002"),
    "append": lambda c: c.append_task("FIX-BT-001", "fix it"),
    "nothing": lambda c: c,
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(documents(), st.sampled_from(sorted(_CHANGES)))
def test_edit_leaves_a_malformed_file_untouched(tmp_path: Path, text: str, change: str) -> None:
    try:
        Checklist.parse(text, DocKind.PLAN)
        assume(False)
    except LoopdError:
        pass
    plan = tmp_path / "PLAN.md"
    plan.write_bytes(text.encode())
    os.utime(plan, ns=(1_000_000_000, 1_000_000_000))
    before = plan.read_bytes(), plan.stat().st_mtime_ns
    with pytest.raises(LoopdError) as raised:
        edit(plan, DocKind.PLAN, tmp_path / "lock", _CHANGES[change])
    assert raised.value.path == plan
    assert raised.value.line is not None
    assert (plan.read_bytes(), plan.stat().st_mtime_ns) == before
