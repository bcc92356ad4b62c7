"""Reading loop-v2's VALUE_CHECKLIST.md table: counts, delivery, blockers, warnings."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from loopd.values import (
    ValueCounts,
    load_value_table,
    parse_value_table,
    value_table_warnings,
)

LOOP_V2 = """# Value Checklist: sprint 3

| # | Deliverable | Value to User | Exists | Works | VALUE | Status |
|---|-------------|---------------|--------|-------|-------|--------|
| 1 | Login | users sign in | [x] | [x] | [x] | |
| 2 | Export | a CSV of orders | [x] | [ ] | [ ] | BLOCKED: B1 |
| 3 | Search | find an order | [x] | [ ] | [ ] | |

## Blockers

| ID | Blocker | Needs |
|----|---------|-------|
| B1 | no Stripe key | the user |
"""


def test_loop_v2s_table_is_counted_row_by_row() -> None:
    table = parse_value_table(LOOP_V2)
    assert table.counts() == ValueCounts(rows=3, verified=1, blocked=1, open=1)
    assert [row.line for row in table.rows] == [5, 6, 7]
    assert not table.delivered and table.has_blockers and table.warnings == ()


def test_delivered_needs_every_checkbox_of_every_row_and_one_row() -> None:
    done = LOOP_V2.replace("[ ]", "[x]").replace("BLOCKED: B1", "")
    assert parse_value_table(done).delivered
    # A BLOCKED row is not delivered, even with all its boxes ticked.
    assert not parse_value_table(LOOP_V2.replace("[ ]", "[x]")).delivered
    assert not parse_value_table("# Value checklist\n\nNothing yet.\n").delivered
    # loopd's checklist form is no table: the VISION line decides there.
    assert not parse_value_table("- [x] **VAL-1**: users sign in\n").delivered


def test_blocked_anywhere_is_loop_v2s_trigger_unblocked_rows_are_not_blocked() -> None:
    note = "| # | D | V | OK |\n|--|--|--|--|\n| 1 | a | b | [x] |\n\nBLOCKED until Friday\n"
    table = parse_value_table(note)
    assert table.has_blockers and table.counts().blocked == 0 and table.delivered
    unblocked = parse_value_table("| 1 | a | UNBLOCKED now | [ ] |\n")
    assert unblocked.counts().blocked == 0 and unblocked.has_blockers  # loop-v2 greps "BLOCKED"
    marker = parse_value_table("| 1 | a | b | [B] |\n")
    assert marker.counts().blocked == 1 and marker.has_blockers
    assert not parse_value_table(LOOP_V2.replace("BLOCKED: B1", "")).has_blockers


def test_odd_spacing_ansi_escapes_escaped_pipes_and_headers_without_separator() -> None:
    text = (
        "|#|Deliverable|Exists|Works|\n"
        "|1|\x1b[32mLogin\x1b[0m|[X]|[ x ]|\n"
        "  |  2 | a \\| b |  [x]|[]  |\n"
        "| **Admin** | | | |\n"
        "| 3 | Audit | [x] | [x] |   \n"
    )
    table = parse_value_table(text, "V.md")
    assert [(row.line, row.status) for row in table.rows] == [
        (2, "verified"),
        (3, "open"),
        (5, "verified"),
    ]
    assert table.rows[0].cells[1] == "Login" and table.warnings == ()


def test_odd_rows_are_warnings_naming_file_and_line_never_refusals() -> None:
    text = (
        "| # | Deliverable | Exists | Works | VALUE |\n"
        "|---|---|---|---|---|\n"
        "| 1 | Login | [x] | [x] | [x] |\n"
        "| 2 | Export | [x] | [x] |\n"
        "| 3 | Search | [~] | [x] | [x] |\n"
        "| 4 | Audit | done | done | ✅ |\n"
    )
    table = parse_value_table(text, "docs/sprints/s1/VALUE_CHECKLIST.md")
    assert table.warnings == (
        "docs/sprints/s1/VALUE_CHECKLIST.md:4: 1 of the table's 3 checkbox columns hold no"
        " checkbox in this row; counted as not verified",
        "docs/sprints/s1/VALUE_CHECKLIST.md:5: unknown marker [~]; counted as not verified",
        "docs/sprints/s1/VALUE_CHECKLIST.md:6: a value row without a checkbox;"
        " counted as not verified",
    )
    assert table.counts() == ValueCounts(rows=4, verified=1, blocked=0, open=3)


def test_tables_in_code_fences_are_examples_and_an_unclosed_fence_is_a_warning() -> None:
    example = "```markdown\n| 1 | Feature | Benefit | [ ] | [ ] | [ ] |\n```\n"
    real = "| 1 | Login | users sign in | [x] | [x] | [x] |\n"
    assert parse_value_table(example + real).delivered
    unclosed = parse_value_table(real + "~~~\n| 2 | x | y | [ ] | [ ] | [ ] |\n", "V.md")
    assert unclosed.counts().rows == 1
    assert unclosed.warnings == (
        "V.md:2: code fence never closed; the table rows after it were not read",
    )


def test_a_missing_or_undecodable_file_is_read_not_refused(tmp_path: Path) -> None:
    assert load_value_table(tmp_path / "VALUE_CHECKLIST.md") == load_value_table(
        tmp_path / "nope.md"
    )
    assert not load_value_table(tmp_path / "VALUE_CHECKLIST.md").exists
    path = tmp_path / "VALUE_CHECKLIST.md"
    path.write_bytes(b"| 1 | caf\xe9 | [x] | [x] |\n")
    table = load_value_table(path, "V.md")
    assert table.delivered and table.exists
    assert value_table_warnings(path, "V.md") == [
        "V.md:1: not valid UTF-8 (byte 9); read with replacements"
    ]
    crlf = tmp_path / "crlf.md"
    crlf.write_bytes(LOOP_V2.replace("\n", "\r\n").encode())
    assert load_value_table(crlf).counts() == parse_value_table(LOOP_V2).counts()


_MARKS = st.sampled_from(["[x]", "[X]", "[ ]", "[]", "[B]", "[~]", " [x] ", "done"])


@given(st.lists(st.tuples(st.lists(_MARKS, min_size=3, max_size=3), st.booleans()), max_size=8))
def test_any_table_loop_v2_could_write_is_counted(rows: list[tuple[list[str], bool]]) -> None:
    lines = ["| # | Deliverable | Exists | Works | VALUE | Status |", "|---|---|---|---|---|---|"]
    for n, (marks, blocked) in enumerate(rows, start=1):
        status = "BLOCKED: B1" if blocked else ""
        lines.append(f"| {n} | item {n} | {' | '.join(marks)} | {status} |")
    table = parse_value_table("\n".join(lines) + "\n", "V.md")
    counts = table.counts()
    # A checkbox column is one where any row has a checkbox; a verified row ticks all of them.
    boxes = {i for marks, _ in rows for i, m in enumerate(marks) if m != "done"}
    if not boxes:  # no checkbox anywhere: not a value table
        assert counts.rows == 0 and not table.delivered
        return
    assert counts.rows == len(rows) == counts.verified + counts.blocked + counts.open
    ticked = [all(marks[i].strip() in ("[x]", "[X]") for i in boxes) for marks, _ in rows]
    said = [b or "[B]" in marks for marks, b in rows]
    assert counts.blocked == sum(said)
    assert counts.verified == sum(t and not b for t, b in zip(ticked, said, strict=True))
    assert table.delivered == (bool(rows) and counts.verified == len(rows))


@given(st.text(alphabet="|[]xB -:`~\x1b\nA#*\\", max_size=300))
def test_any_text_parses_and_every_warning_names_a_line(text: str) -> None:
    table = parse_value_table(text, "V.md")
    assert all(re.match(r"V\.md:\d+: \S", w) for w in table.warnings)
    counts = table.counts()
    assert counts.rows == counts.verified + counts.blocked + counts.open
