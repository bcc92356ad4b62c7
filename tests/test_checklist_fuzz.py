"""Property tests for checklist parsing and editing.

The parser works with whole-text regular expressions for speed; ``reference``
below is a plain line-by-line reading of the same rules, written for clarity,
and every generated document must come out the same from both: the same
items, and warnings on the same lines.  Nothing is refused: any file loop-v2
could have written (repeated IDs, odd markers, unclosed fences, odd Task IDs,
several or wrapped annotations) is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from loopd.checklist import Checklist, DocKind, Item, Status, edit, task_kinds
from loopd.checklist.taskids import odd_task
from loopd.errors import LoopdError

_ITEM = re.compile(
    r"([ \t]*)[-*+][ \t]+\[([^\]\r\n]{0,3})\][ \t]+\*\*"
    r"(Task \d+(?:\.\d+)*|[A-Z][A-Z0-9]*-[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*"
    r"|Task(?![a-z])[^*\r\n]*?)"
    r"(?::\*\*|\*\*|:[ \t]+([^*\r\n]*?)\*\*)(.*)"
)
# A line that starts like an item; when _ITEM does not read it, _LOOSE reads a clear ID
# (bold never closed) as the item, with a warning; anything else is a warning alone.
_STARTS_LIKE_ITEM = re.compile(r"[ \t]*[-*+][ \t]+\[[^\]\r\n]{0,3}\][ \t]+\*\*")
_LOOSE = re.compile(
    r"([ \t]*)[-*+][ \t]+\[([^\]\r\n]{0,3})\][ \t]+\*\*"
    r"(Task \d+(?:\.\d+)*|[A-Z][A-Z0-9]*-[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*)"
    r"(?![A-Za-z0-9*])((?!))?(.*)"
)
_STRICT_TASK = re.compile(r"Task \d+(?:\.\d+)*")
_KEYS = {"E2E": re.compile(r"\*\([eE]2[eE][ \t]*:"), "cmd": re.compile(r"\*\([cC][mM][dD][ \t]*:")}
_MARKERS = {" ": "PENDING", "x": "DONE", "X": "DONE", "B": "BLOCKED", "b": "BLOCKED"}
_MARKERS |= {"U": "USER", "u": "USER"}
_WINDOW_STOPS = ("- [", "###", "---")


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
    unclosed: list[int] = field(default_factory=list)  # line indexes of never-closed openers
    warnings: list[int] = field(default_factory=list)  # 1-based lines of every warning

    def end_of(self, index: int) -> int:
        return self.starts[index] + len(self.lines[index]) + (index + 1 < len(self.lines))


def _hide(reading: Reading) -> None:
    """Hide the inside of closed fences and comments; one never closed hides nothing."""
    while True:
        hidden, opener = _hide_once(reading.lines, set(reading.unclosed))
        if opener < 0:
            reading.hidden = hidden
            return
        reading.unclosed.append(opener)


def _hide_once(lines: list[str], ignored: set[int]) -> tuple[list[bool], int]:
    """Hidden lines, and the opener left open at the end (-1 if none)."""
    fence: str | None = None
    comment = False
    opener = -1
    hidden = []
    for index, line in enumerate(lines):
        hidden.append(fence is not None or comment)
        if fence is not None:
            fence = None if _closes(line, fence) else fence
        elif comment:
            comment = "-->" not in line
        elif index not in ignored:
            # A byte-order mark before line 1 is invisible.
            stripped = line.removeprefix("\ufeff" if index == 0 else "").lstrip(" \t")
            comment = stripped.startswith("<!--") and "-->" not in stripped[4:]
            fence = None if comment else _fence(stripped)
            opener = index
    return hidden, opener if fence is not None or comment else -1


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


def _window(reading: Reading, index: int, following: int) -> int:
    """Last line of loop-v2's test window: the item line and up to 25 more, trimmed.

    It ends before a line starting ``- [``, ``###`` or ``---``, and before the next item.
    """
    last = index
    for j in range(index + 1, min(index + 26, len(reading.lines))):
        if reading.lines[j].startswith(_WINDOW_STOPS) or j == following:
            break
        if not _blank(reading.lines[j]):
            last = j
    return last


def _last_nonblank(reading: Reading, index: int, before: int) -> int:
    last = index
    for j in range(index + 1, before):
        if not _blank(reading.lines[j]):
            last = j
    return last


@dataclass
class Found:
    """One item line: where, its match, and the ID and title it stands for."""

    index: int
    offset: int
    match: re.Match[str]
    id: str
    title: str | None


def reference(text: str, kind: DocKind = DocKind.TEST_PLAN) -> list[dict[str, object]]:
    """Items of ``text`` by the documented rules, one line at a time."""
    return read(text, kind)[0]


def read(text: str, kind: DocKind = DocKind.TEST_PLAN) -> tuple[list[dict[str, object]], list[int]]:
    """Items of ``text``, and the sorted lines of its warnings."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    reading = Reading(lines, starts)
    _hide(reading)
    reading.warnings += [opener + 1 for opener in reading.unclosed]
    found = []
    for index, line in enumerate(lines):
        offset = 1 if index == 0 and line.startswith("\ufeff") else 0
        match = _ITEM.match(line[offset:])
        if reading.hidden[index]:
            continue
        if match is None and _STARTS_LIKE_ITEM.match(line[offset:]):
            reading.warnings.append(index + 1)
            match = _LOOSE.match(line[offset:])
        if match is None:
            continue
        item_id, title = match.group(3), None
        if item_id.startswith("Task") and not _STRICT_TASK.fullmatch(item_id):
            inner = match.group(4)
            item_id, title = odd_task(item_id if inner is None else f"{item_id}: {inner}")
            reading.warnings.append(index + 1)
        if match.group(2) not in _MARKERS:
            reading.warnings.append(index + 1)
        found.append(Found(index, offset, match, item_id, title))
    firsts: dict[str, int] = {}
    for n, line_found in enumerate(found):
        if line_found.id in firsts:
            reading.warnings.append(line_found.index + 1)
        else:
            firsts[line_found.id] = n
    items = [_item(reading, found, n, kind) for n in firsts.values()]
    for n in range(len(found)):
        _annotations(reading, found, n, kind)  # the warnings of every line, repeated or not
    return items, sorted(reading.warnings)


def _own_last(reading: Reading, found: list[Found], n: int, kind: DocKind) -> tuple[int, int]:
    """Last line of occurrence ``n``'s block and of its own lines (windowed for a test)."""
    index = found[n].index
    last = _block(reading, index, _width(found[n].match.group(1)))
    own_last = last
    if n + 1 < len(found) and found[n + 1].index <= last:
        own_last = _last_nonblank(reading, index, found[n + 1].index)
    windowed = kind is DocKind.TEST_PLAN and _kind(found[n].id) not in task_kinds(kind)
    if windowed and last == index:
        following = found[n + 1].index if n + 1 < len(found) else -1
        last = own_last = max(last, _window(reading, index, following))
    return last, own_last


def _kind(item_id: str) -> str:
    return "Task" if item_id.startswith("Task ") else item_id.split("-", 1)[0]


def _status(found: list[Found], item_id: str) -> str:
    markers = [_MARKERS.get(f.match.group(2), "OTHER") for f in found if f.id == item_id]
    return "PENDING" if "PENDING" in markers else markers[0]


def _item(reading: Reading, found: list[Found], n: int, kind: DocKind) -> dict[str, object]:
    here = found[n]
    last, own_last = _own_last(reading, found, n, kind)
    inner, rest = here.match.group(4), here.match.group(5).strip()
    inner = here.title if here.title is not None else inner
    rest = rest[1:].lstrip() if rest.startswith(":") else rest
    start = reading.starts[here.index] + here.offset
    values = _annotations(reading, found, n, kind, warn=False)
    return {
        "id": here.id,
        "status": _status(found, here.id),
        "text": " ".join(part for part in ((inner or "").strip(), rest) if part),
        "line": here.index + 1,
        "span": (start, reading.end_of(last)),
        "own_span": (start, reading.end_of(own_last)),
        "marker_at": start + here.match.start(2),
        **values,
    }


def _annotations(
    reading: Reading, found: list[Found], n: int, kind: DocKind, warn: bool = True
) -> dict[str, str | None]:
    """The first readable annotation of each key in occurrence ``n``'s own lines."""
    own = range(found[n].index, _own_last(reading, found, n, kind)[1] + 1)
    values: dict[str, str | None] = {}
    for key, pattern in _KEYS.items():
        values[key] = None
        for j in own:
            line = reading.lines[j]
            if reading.hidden[j]:
                continue
            for match in pattern.finditer(line):
                value, malformed = _note(key, line[match.end() :])
                if warn and malformed:
                    reading.warnings.append(j + 1)
                if value is not None and values[key] is not None and warn:
                    reading.warnings.append(j + 1)
                if value is not None and values[key] is None:
                    values[key] = value
    return values


def _note(key: str, rest: str) -> tuple[str | None, bool]:
    """(value or None, malformed) of the annotation whose text after the colon is ``rest``."""
    rest = rest.lstrip(" \t")
    close = rest.find('")*', 1)
    if rest.startswith('"') and close > 0:
        value = rest[1:close]
        malformed = not value.strip()
        if key == "E2E":  # "a" + "b": the first name
            value = re.split(r'"[ \t]*\+[ \t]*"', value, maxsplit=1)[0]
        return (value if value.strip() else None), malformed
    if key == "E2E" and rest.startswith('"'):  # the first name, if complete on its line
        end = rest.find('"', 1)
        name = rest[1:end] if end > 0 else ""
        return (name if name.strip() else None), True
    return None, True


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


def warning_lines(checklist: Checklist) -> list[int]:
    """The lines of a checklist's warnings, in order."""
    return [int(warning.split(":")[1]) for warning in checklist.warnings]


def _parse_both(
    text: str, kind: DocKind = DocKind.TEST_PLAN
) -> tuple[Checklist, list[dict[str, object]]]:
    """Parse with loopd and the reference; their warnings must be on the same lines."""
    expected, lines = read(text, kind)
    checklist = Checklist.parse(text, kind)
    assert warning_lines(checklist) == lines
    return checklist, expected


# Fragments of checklist documents, many of them nearly right, as loop-v2 repos hold them.
_INDENTS = st.sampled_from(["", "", "  ", "    ", "\t", " \t", "   ", "      "])
_BULLETS = st.sampled_from(["-", "*", "+", "1.", "-"])
_GOOD_MARKS = st.sampled_from([" ", " ", "x", "X", "B", "U", "b", "u"])
_BAD_MARKS = st.sampled_from(["?", "-", "~", "", "  ", "✓"])
_KINDS = st.sampled_from(
    ["BT", "INT", "VAL", "UX", "SEC", "EDGE", "BUILD", "FIX-BT", "REG-BT", "Task", "bt", "X"]
)
# Task headers loop-v2 implements (it greps **Task, anything after it).
_ODD_TASKS = st.sampled_from(
    ["Task 3a", "Task 3.1b", "Task: Set up the db", "Task 3 - Set up db", "Task", "Task-7"]
)
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
# Near misses: the bold never closed, or closed after more than the ID.
_BAD_BOLD = st.sampled_from(["**{id}: {text}", "**{id} {text}**", "**{id}", "** {text}"])
_GOOD_ANNOTATIONS = st.sampled_from(
    [
        '*(cmd: "pytest -k login")*',
        '*(E2E: "user can "log in" twice")*',
        '*(e2e: "x")*',
        '*(E2E: "a" + "b")*',
        "*(note)*",
    ]
)
_BAD_ANNOTATIONS = st.sampled_from(
    [
        '*(cmd: "unterminated',
        '*(E2E: "wrapped name',
        '*(E2E: "name" then wrapped',
        '*(cmd: "")*',
        "*(cmd: bare)*",
        '*(CMD:"a")* *(cmd: "b")*',
        '*(E2E: "a")* *(E2E: "b")*',
    ]
)
_OTHER = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "\r",
        "# Heading",
        "## Tests",
        "### Section",
        "#nospace",
        "```x```",
        "<!-- one line -->",
        "---",
        "* * *",
        "___",
        "plain text",
        "Steps:",
        "Expected: it works",
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
    number = draw(st.integers(1, 400 if strict else 12))
    item_id = f"Task {number}" if kind == "Task" else f"{kind}-{number:03d}"
    if not strict and draw(st.integers(0, 12)) == 0:
        item_id = draw(_ODD_TASKS)
    bad_bold = not strict and draw(st.integers(0, 15)) == 0
    bold = draw(_BAD_BOLD if bad_bold else _BOLD).format(id=item_id, text=draw(_WORDS))
    near_miss = not strict and draw(st.integers(0, 15)) == 0
    mark = draw(_BAD_MARKS if near_miss else _GOOD_MARKS)
    return f"{draw(_INDENTS)}{draw(_BULLETS)} [{mark}] {bold}"


@st.composite
def _line(draw: st.DrawFn, strict: bool) -> str:
    kind = draw(st.integers(0, 9))
    if kind < 3:
        return draw(_item_line(strict))
    if kind < 5:
        near_miss = not strict and draw(st.integers(0, 10)) == 0
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
def _regression_tasks(draw: st.DrawFn) -> list[str]:
    """What loop-v2's regression checks append, again and again, whatever is there."""
    test = f"BT-{draw(st.integers(1, 4)):03d}"
    mark = draw(st.sampled_from([" ", "x", "B"]))
    return [f"- [{mark}] **REG-{test}**: Fix regression in {test}"]


@st.composite
def documents(draw: st.DrawFn, strict: bool = False) -> str:
    """Markdown checklists, CRLF or LF, with or without a final newline.

    Not strict: many lines are as real loop-v2 repos hold them (odd markers,
    repeated IDs, odd Task IDs, broken or repeated annotations, fences never
    closed).  Strict: mostly well-formed.
    """
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 50))):
        roll = draw(st.integers(0, 15))
        if roll == 0:
            lines += draw(_hidden_block(strict))
        elif roll == 1 and not strict:
            lines += draw(_regression_tasks())
        else:
            lines.append(draw(_line(strict)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines)
    return text + newline if draw(st.booleans()) else text


_EXAMPLES = settings(max_examples=300, deadline=None)
_FEWER = settings(max_examples=120, deadline=None)
_DOC_KINDS = st.sampled_from([DocKind.TEST_PLAN, DocKind.PLAN])


@_EXAMPLES
@given(st.text())
def test_arbitrary_text_is_never_refused(text: str) -> None:
    _parse_both(text)


# Pieces glued with odd separators: lines split mid-way, CR alone, blank runs, tabs.
_PIECES = st.sampled_from(
    [
        *("- [ ] **BT-1**: a", "- [x] **BT-2**", "  * [B] **INT-3:** b", "\t+ [U] **Task 4: t** r"),
        *(" \t - [ ] **BT-7**: t", "     \t- [ ] **BT-8**: u", "\t \t  - x", "   \t  # h"),
        *("- [~] **SEC-1**: odd", "- [ ] **Task 3a**", "- [ ] **Task: db**", "- [ ] **BT-1**: a"),
        *("```", "~~~", "<!--", "-->", "# h", "---", "***", "1) x", "x```y", "__ _", "\ufeff"),
        *("", " ", "\r", "\t", "text", "  text", "   - y", "    deep", "\t\ttabbed", "### s"),
        *('*(cmd: "a")*', '*(E2E: "b"', ")*", '"', '*(cmd: "  ")*', '*(e2e:"q")*'),
    ]
)
_GLUE = st.sampled_from(["\n", "\r\n", "", " ", "\r", "\n\n", "\n \n\t\n"])
_GLUED = st.lists(st.tuples(_PIECES, _GLUE), max_size=30).map(
    lambda pairs: "".join(piece + glue for piece, glue in pairs)
)


@_EXAMPLES
@given(st.one_of(documents(), _GLUED), _DOC_KINDS)
def test_loop_v2_documents_read_like_the_reference(text: str, kind: DocKind) -> None:
    checklist, expected = _parse_both(text, kind)
    event(f"warnings: {min(len(checklist.warnings), 3)}")
    event(f"items: {min(len(expected), 5)}")
    assert [_as_dict(item) for item in checklist.items] == expected
    assert checklist.text == text
    for item in checklist.items:
        assert item.block == text[item.span[0] : item.span[1]]


def _changed_only_markers(before: Checklist, after: Checklist) -> None:
    """``after`` differs from ``before`` only inside item markers (between [ and ])."""
    if len(after.text) == len(before.text):
        differ = [n for n, (a, b) in enumerate(zip(before.text, after.text, strict=True)) if a != b]
        markers = {at for item in before.items for at in _marker_offsets(before, item.id)}
        assert set(differ) <= markers
        return
    # An unknown marker not one character long was replaced whole: compare line by line.
    old, new = before.text.split("\n"), after.text.split("\n")
    assert len(old) == len(new)
    for a, b in zip(old, new, strict=True):
        if a != b:
            assert re.sub(r"\[[^\]\r\n]{0,3}\]", "[]", a, count=1) == re.sub(
                r"\[[^\]\r\n]{0,3}\]", "[]", b, count=1
            )


def _marker_offsets(checklist: Checklist, item_id: str) -> list[int]:
    parsed = checklist.parsed
    return [parsed.marker_span(o)[0] for o in parsed.occurrences(parsed.positions[item_id])]


_WRITABLE = [Status.PENDING, Status.DONE, Status.BLOCKED, Status.USER]


@_FEWER
@given(documents(), st.data())
def test_set_status_changes_only_markers_and_every_line_of_the_id(
    text: str, data: st.DataObject
) -> None:
    checklist = Checklist.parse(text, DocKind.PLAN)
    assume(checklist.items)
    item = data.draw(st.sampled_from(checklist.items))
    status = data.draw(st.sampled_from(_WRITABLE))
    changed = checklist.set_status(item.id, status)
    _changed_only_markers(checklist, changed)
    again = Checklist.parse(changed.text, DocKind.PLAN)
    assert must(again.get(item.id)).status is status
    assert [i.id for i in again.items] == [i.id for i in checklist.items]
    lines = again.parsed.occurrences(again.parsed.positions[item.id])
    assert len({again.text[again.parsed.marker_span(o)[0]] for o in lines}) == 1


@_FEWER
@given(documents(), st.sampled_from(["FIX-BT-001", "REG-BT-002", "Task 99"]), _WORDS)
def test_append_adds_one_item_at_the_end(text: str, item_id: str, words: str) -> None:
    checklist = Checklist.parse(text, DocKind.PLAN)
    try:
        appended = checklist.append_task(item_id, f"{words}\nsecond line", ["- detail"])
    except LoopdError:
        # Only when the file ends inside a closed-looking construct that swallows the lines.
        event("append refused")
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
    "set_status": lambda c: c.set_status(c.items[0].id, Status.DONE) if c.items else c,
    "reset": lambda c: c.reset(c.items[-1].id) if c.items else c,
    "append": lambda c: c.append_task("FIX-BT-001", "fix it"),
    "nothing": lambda c: c,
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(documents(), st.sampled_from(sorted(_CHANGES)))
def test_edit_on_disk_changes_only_markers_or_appends(
    tmp_path: Path, text: str, change: str
) -> None:
    plan = tmp_path / "PLAN.md"
    plan.write_bytes(text.encode())
    before = Checklist.parse(text, DocKind.PLAN)
    try:
        after = edit(plan, DocKind.PLAN, tmp_path / "lock", _CHANGES[change])
    except LoopdError as exc:
        assert exc.path == plan
        assert plan.read_bytes() == text.encode()  # refused: nothing written
        return
    written = plan.read_bytes().decode()
    assert written == after.text
    if change == "append":
        assert written.startswith(text)
    else:
        _changed_only_markers(before, after)
