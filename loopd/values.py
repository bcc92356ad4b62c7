"""VALUE_CHECKLIST.md as loop-v2 wrote it: a Markdown table of value rows.

loop-v2's value checklist is a table, one row per deliverable, with checkbox
columns (``| 1 | Deliverable | Value | [x] | [ ] | [ ] | BLOCKED: B1 |``).
Two of loop-v2's rules are read from it:

- blockers are re-verified whenever the file says ``BLOCKED`` anywhere
  (lib/metrics.sh ``has_blockers_to_verify``: a plain substring search);
- the vision counts as delivered when there is at least one row and every
  row has ``[x]`` in every checkbox column (its README's exit criterion; a
  row that says BLOCKED is not delivered).

Reading is tolerant: the file was written by agents and by hand.  Header and
separator rows, tables without checkboxes (a blocker list), ANSI escapes,
odd spacing and escaped pipes are read; an odd row in a value table (no
checkbox, fewer checkboxes than its table, an unknown marker) is one warning
``<path>:<line>: ...`` and never a refusal.  Lines in fenced code blocks are
examples, not rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# A cell that is only a checkbox: [x], [ ], [], [B], [~] ...
_CHECKBOX = re.compile(r"^\[\s*(\S?)\s*\]$")
_SEPARATOR_CELL = re.compile(r"^:?-+:?$")
# BLOCKED as a word, in capitals as loop-v2 writes it ("UNBLOCKED" is not blocked).
_BLOCKED_WORD = re.compile(r"(?<![A-Za-z])BLOCKED(?![A-Za-z])")
_CHECKED = frozenset("xX")
_BLOCKED_MARKS = frozenset("Bb")
_KNOWN_MARKS = frozenset(" xXBbUu")


@dataclass(frozen=True)
class ValueRow:
    """One row of a value table: ``line`` is 1-based; ``marks`` its checkbox characters."""

    line: int
    cells: tuple[str, ...]
    marks: tuple[str, ...]
    blocked: bool
    verified: bool

    @property
    def status(self) -> str:
        """``blocked``, ``verified`` or ``open`` (blocked wins: a BLOCKED row is not delivered)."""
        if self.blocked:
            return "blocked"
        return "verified" if self.verified else "open"


@dataclass(frozen=True)
class ValueCounts:
    """What ``loopd status`` shows of the table."""

    rows: int = 0
    verified: int = 0
    blocked: int = 0
    open: int = 0


@dataclass(frozen=True)
class ValueTable:
    """The value rows of a VALUE_CHECKLIST.md, with the warnings reading it produced."""

    rows: tuple[ValueRow, ...] = ()
    warnings: tuple[str, ...] = ()
    # loop-v2's trigger for verify-blockers: the text BLOCKED anywhere in the file.
    says_blocked: bool = False
    exists: bool = False

    def counts(self) -> ValueCounts:
        statuses = [row.status for row in self.rows]
        return ValueCounts(
            rows=len(statuses),
            verified=statuses.count("verified"),
            blocked=statuses.count("blocked"),
            open=statuses.count("open"),
        )

    @property
    def delivered(self) -> bool:
        """loop-v2's README rule: at least one row, and every row verified."""
        return bool(self.rows) and all(row.status == "verified" for row in self.rows)

    @property
    def has_blockers(self) -> bool:
        """Whether verify-blockers should run: the file says BLOCKED, or a row has a [B] cell."""
        return self.says_blocked or any(row.blocked for row in self.rows)


@dataclass
class _Table:
    """Rows of one contiguous block of table lines, before they are judged."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def load_value_table(path: Path, shown: str | None = None) -> ValueTable:
    """The table of ``path`` (an empty table when the file does not exist).

    ``shown`` is the path as warnings name it (relative to the repo); bytes
    that are not UTF-8 are replaced, with a warning, rather than refused.
    """
    name = shown if shown is not None else str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ValueTable()
    except OSError as exc:
        return ValueTable(warnings=(f"{name}:1: cannot read: {exc.strerror}",), exists=True)
    try:
        text = data.decode("utf-8")
        decoded: list[str] = []
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        decoded = [f"{name}:1: not valid UTF-8 (byte {exc.start}); read with replacements"]
    table = parse_value_table(text, name)
    return ValueTable(
        rows=table.rows,
        warnings=(*decoded, *table.warnings),
        says_blocked=table.says_blocked,
        exists=True,
    )


def value_table_warnings(path: Path, shown: str | None = None) -> list[str]:
    """The warnings reading ``path``'s value table gives (for ``loopd doctor``)."""
    return list(load_value_table(path, shown).warnings)


def parse_value_table(text: str, name: str = "VALUE_CHECKLIST.md") -> ValueTable:
    """The value rows of ``text``; ``name`` prefixes each warning."""
    warnings: list[str] = []
    rows: list[ValueRow] = []
    for table in _tables(text, name, warnings):
        rows.extend(_value_rows(table, name, warnings))
    return ValueTable(
        rows=tuple(rows), warnings=tuple(warnings), says_blocked="BLOCKED" in _ANSI.sub("", text)
    )


def _tables(text: str, name: str, warnings: list[str]) -> list[_Table]:
    """Blocks of consecutive table lines outside code fences, each line split into cells."""
    tables: list[_Table] = []
    current: _Table | None = None
    fence: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _ANSI.sub("", raw)
        fence, in_code = _fence_state(line, fence, number)
        cells = None if in_code else _cells(line)
        if cells is None:
            current = None
            continue
        if current is None:
            current = _Table()
            tables.append(current)
        current.rows.append((number, cells))
    if fence is not None:
        warnings.append(
            f"{name}:{fence[1]}: code fence never closed; the table rows after it were not read"
        )
    return tables


def _fence_state(
    line: str, fence: tuple[str, int] | None, number: int
) -> tuple[tuple[str, int] | None, bool]:
    """The fence open after ``line`` (its marker and line), and whether ``line`` is code."""
    match = _FENCE.match(line)
    if fence is None:
        return ((match.group(1), number), True) if match else (None, False)
    marker = match.group(1) if match else ""
    # Closed by a run of the same character, at least as long as the opening one.
    closes = marker[:1] == fence[0][0] and len(marker) >= len(fence[0])
    return (None if closes else fence), True


def _cells(line: str) -> list[str] | None:
    """The cells of a table line (``| a | b |``), or None when ``line`` is not one."""
    stripped = line.strip()
    if not stripped.startswith("|") or len(stripped) < 2:
        return None
    # GFM: "\|" is a pipe inside a cell, not a column border.
    parts = re.split(r"(?<!\\)\|", stripped[1:])
    if parts and parts[-1].strip() == "":
        parts = parts[:-1]
    return [" ".join(part.split()) for part in parts]


def _is_separator(cells: list[str]) -> bool:
    return bool(cells) and all(_SEPARATOR_CELL.match(cell.replace(" ", "")) for cell in cells)


def _mark(cell: str) -> str | None:
    """The checkbox character of a cell (" " for ``[ ]`` and ``[]``), None if it is no checkbox."""
    match = _CHECKBOX.match(cell)
    return (match.group(1) or " ") if match is not None else None


def _marks(cells: list[str]) -> list[str]:
    """The checkbox characters of a row, in column order."""
    return [mark for mark in map(_mark, cells) if mark is not None]


def _value_rows(table: _Table, name: str, warnings: list[str]) -> list[ValueRow]:
    """The value rows of one table; a table with no checkbox at all is not a value table.

    Its checkbox columns are those where any row has a checkbox: each row
    must have ``[x]`` in every one of them to be verified.
    """
    body = _body(table)
    columns = sorted({i for _, cells in body for i, cell in enumerate(cells) if _mark(cell)})
    if not columns:
        return []  # a blocker list, a legend: not value rows
    return [_row(number, cells, columns, name, warnings) for number, cells in body]


def _body(table: _Table) -> list[tuple[int, list[str]]]:
    """The table's rows without its separator and header rows.

    A header is the row above a separator, or a first row without checkboxes
    (a table written without a separator line).  A row that is not a divider
    and has no checkbox stays: it counts as not verified, with a warning.
    """
    rows = table.rows
    separators = {i for i, (_, cells) in enumerate(rows) if _is_separator(cells)}
    skipped = separators | {i - 1 for i in separators}
    if rows and not _marks(rows[0][1]):
        skipped.add(0)
    # A divider ("| **Core** | | |") has at most one filled cell: a heading, not a row.
    skipped |= {i for i, (_, cells) in enumerate(rows) if sum(1 for c in cells if c) <= 1}
    return [row for i, row in enumerate(rows) if i not in skipped]


def _row(
    number: int, cells: list[str], columns: list[int], name: str, warnings: list[str]
) -> ValueRow:
    found = [_mark(cells[i]) if i < len(cells) else None for i in columns]
    marks = [mark for mark in found if mark is not None]
    blocked = any(_BLOCKED_WORD.search(cell) for cell in cells) or any(
        mark in _BLOCKED_MARKS for mark in marks
    )
    missing = len(found) - len(marks)
    if blocked:
        pass  # its status is clear, whatever its cells hold
    elif not marks:
        warnings.append(f"{name}:{number}: a value row without a checkbox; counted as not verified")
    elif missing:
        warnings.append(
            f"{name}:{number}: {missing} of the table's {len(columns)} checkbox columns hold no"
            " checkbox in this row; counted as not verified"
        )
    for mark in sorted(set(marks) - _KNOWN_MARKS):
        shown = f"[{mark}]"
        warnings.append(f"{name}:{number}: unknown marker {shown}; counted as not verified")
    verified = not missing and all(mark in _CHECKED for mark in marks)
    return ValueRow(number, tuple(cells), tuple(marks), blocked, verified)
