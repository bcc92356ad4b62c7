"""Where things are in a markdown text: hidden spans (code fences, HTML comments) and blocks.

A small subset of CommonMark, as regular expressions over the whole text
rather than a Python loop over lines, so a 1,000-item document is read in
about a millisecond.  Offsets are character positions in the original text.
"""

from __future__ import annotations

import bisect
import functools
import re

# A blank line holds nothing but these (a stray CR counts as blank).
BLANK = " \t\r\n"
_TAB_STOP = 4
# Lines that end an item's paragraph even without a blank line before them.
_INTERRUPT = (
    r"(?:[-*+](?=[ \t\r\n]|\Z)"
    r"|\d{1,9}[.)](?=[ \t\r\n]|\Z)"
    r"|#{1,6}(?=[ \t\r\n]|\Z)"
    r"|`{3,}(?![^\n]*`)|~{3,}|<!--"
    r"|(?:(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|(?:\*[ \t]*){3,})(?=\r?\n|\r?\Z))"
)


def indent_width(indent: str) -> int:
    """Columns taken by leading whitespace, tabs advancing to the next multiple of 4."""
    return len(indent.expandtabs(_TAB_STOP)) if "\t" in indent else len(indent)


def line_end(text: str, position: int) -> int:
    """Offset just past the line break ending the line at ``position`` (or the text's end)."""
    end = text.find("\n", position)
    return len(text) if end < 0 else end + 1


def trim(text: str, start: int, end: int) -> int:
    """``end`` moved back over blank lines to just past the last non-blank line's break."""
    last = len(text[start:end].rstrip(BLANK)) + start
    newline = text.find("\n", last, end)
    return end if newline < 0 else newline + 1


class Hidden:
    """Fenced code blocks and HTML comments, where nothing is an item.

    ``spans`` are their interiors: from the line after the opening line to
    the end of the closing line.  A fence or comment never closed hides
    nothing (loop-v2 greps lines regardless of fences); ``unclosed`` lists
    where each such opener is, for a warning.
    """

    def __init__(self, text: str, openers: list[int]) -> None:
        """``openers``: sorted offsets of ```, ~~~ or <!-- that begin a line after indentation."""
        self.spans: list[tuple[int, int]] = []
        self.unclosed: list[int] = []
        covered = 0
        for position in openers:
            if position >= covered:
                covered = self._open(text, position)
        self.starts = [start for start, _ in self.spans]

    def _open(self, text: str, position: int) -> int:
        opener_end = line_end(text, position)
        if text.startswith("<!--", position):
            span = _comment_span(text, position, opener_end)
        else:
            span = _fence_span(text, position, opener_end)
        if span is None:
            return opener_end
        end, closed = span
        if not closed:
            self.unclosed.append(position)
            return opener_end
        self.spans.append((opener_end, end))
        return end

    def inside(self, position: int) -> bool:
        """True if ``position`` is inside a fence's or comment's interior."""
        if not self.spans:
            return False
        n = bisect.bisect_right(self.starts, position) - 1
        return n >= 0 and position < self.spans[n][1]

    def after(self, position: int) -> int:
        """End of the interior containing ``position``."""
        return self.spans[bisect.bisect_right(self.starts, position) - 1][1]

    def visible(self, start: int, end: int) -> list[tuple[int, int]]:
        """The parts of ``[start, end)`` outside every interior."""
        parts = []
        for low, high in self.spans:
            if low > start:
                parts.append((start, min(low, end)))
            start = max(start, high)
        if start < end:
            parts.append((start, end))
        return [(low, high) for low, high in parts if low < high]


def _comment_span(text: str, position: int, opener_end: int) -> tuple[int, bool] | None:
    if "-->" in text[position + 4 : opener_end]:
        return None  # a one-line comment hides nothing beyond its own line
    close = text.find("-->", opener_end)
    return (len(text), False) if close < 0 else (line_end(text, close), True)


def _fence_span(text: str, position: int, opener_end: int) -> tuple[int, bool] | None:
    line = text[position:opener_end]
    fence = line[: len(line) - len(line.lstrip(line[0]))]
    if fence[0] == "`" and "`" in line[len(fence) :]:
        return None  # ```like this``` is inline code, not a fence
    closing = _closing_fence(fence[0], len(fence)).search(text, opener_end - 1)
    return (len(text), False) if closing is None else (line_end(text, closing.end()), True)


@functools.lru_cache(maxsize=32)
def _closing_fence(char: str, length: int) -> re.Pattern[str]:
    return re.compile(rf"\n[ \t]*{re.escape(char)}{{{length},}}[ \t]*(?=\r?\n|\r?\Z)")


@functools.lru_cache(maxsize=64)
def _terminator(width: int) -> re.Pattern[str]:
    """The first line ending the block of an item indented ``width`` columns.

    That is a line no more indented than the item which follows a blank line
    (group ``after``) or interrupts a paragraph: list item, heading, fence,
    comment, break (group ``at``).  The match starts at the line break of the
    block's last non-blank line.  A run of blank lines followed by anything
    else matches too, with neither group set, so the search can go on past
    the run instead of rescanning it from each of its lines.
    """
    upto = _indent_upto(width)
    indent = rf"(?={upto}(?![ \t]))[ \t]*+"  # all of the line's indentation, if narrow enough
    after_blanks = rf"(?:[ \t\r]*\n)++(?:{indent}(?P<after>[^ \t\r\n]))?"
    return re.compile(rf"\n(?:{after_blanks}|{indent}(?P<at>{_INTERRUPT}))")


def _indent_upto(width: int) -> str:
    """Leading blanks at most ``width`` columns wide: tab stops, then up to 3 spaces.

    Nested, not one alternative per number of stops, so a deeply indented
    line is turned down in a few steps per tab stop.
    """
    spaces = f" {{0,{min(3, width)}}}+"
    if width < _TAB_STOP:
        return spaces
    return rf"(?:(?: {{4}}| {{0,3}}+\t){_indent_upto(width - _TAB_STOP)}|{spaces})"


def block_end(text: str, hidden: Hidden, start: int, width: int, last_line_end: int) -> int:
    """End of the block of the item whose line starts at ``start``, trailing blanks excluded.

    ``last_line_end``: where the text's last non-blank line ends, the block's
    end when nothing ends it earlier.
    """
    pattern = _terminator(width)
    position = text.find("\n", start)
    while position >= 0:
        match = pattern.search(text, position)
        if match is None:
            break
        at = max(match.start("after"), match.start("at"))
        if at < 0:
            position = match.end()  # blank lines, then a line that continues the block
        elif hidden.inside(at):
            position = hidden.after(at) - 1
        else:
            return match.start() + 1
    return last_line_end


# loop-v2's test block (lib/tests.sh extract_test_block): the item line and up to this many
# lines after it, ended by a line starting ``- [``, ``###`` or ``---``.
WINDOW_LINES = 25
_WINDOW_STOP = ("- [", "###", "---")


def window_end(text: str, start: int) -> int:
    """End of loop-v2's window for the item line at ``start``, trailing blank lines excluded."""
    end = line_end(text, start)
    for _ in range(WINDOW_LINES):
        if end >= len(text) or text.startswith(_WINDOW_STOP, end):
            break
        end = line_end(text, end)
    return trim(text, start, end)
