"""The YAML block of LOOP_STATE.md: finding it, loading it with line numbers, writing it.

Writing is done by hand for the known keys: the schema is fixed and small, and
libyaml's emitter alone costs several milliseconds on a realistic state while a
save must stay well under that.  Every scalar is either a conservative plain
word or a one-line double-quoted string (JSON escapes plus YAML's own for the
characters YAML may not hold raw), so no emitted line can close the fence.
Unknown keys (:attr:`LoopState.extra`) are arbitrary data and go through
PyYAML with the same one-line rule for strings.  Loading uses libyaml when it
is there; nodes are kept so a wrong value is reported at its line in the file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loopd.errors import LoopdError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Plain scalars: a letter first (so never a number, date, `.inf`, `~` or an
# indicator), then only characters that cannot start YAML syntax.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")
_YAML11_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})
# What json.dumps leaves raw but YAML must escape: C1 controls and DEL (not
# printable), NEL/LS/PS (line breaks in YAML 1.1), BOM and non-characters.
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
# Longer keys use the explicit `? key` form: YAML caps implicit keys at 1024 chars.
_MAX_SIMPLE_KEY = 128
_LINE_BREAKS = frozenset("\n\r\x85\u2028\u2029")
_json_string: Callable[[str], str] = json.encoder.encode_basestring
_OPEN_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)")


# --------------------------------------------------------------------- write


def scalar(text: str) -> str:
    """``text`` as a one-line YAML scalar (raw: the block goes through :func:`finish`)."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML11_WORDS:
        return text
    return _json_string(text)


def flow_list(items: Iterable[str]) -> str:
    """``items`` as a one-line flow sequence of double-quoted strings (raw, as ``scalar``)."""
    return f"[{', '.join(map(_json_string, items))}]"


def finish(lines: Iterable[str]) -> str:
    """The block text from raw lines: escapes what JSON left raw and YAML may not hold.

    One pass over the whole text instead of one per scalar: those characters
    can only occur inside the double-quoted scalars, every other byte is ASCII.
    """
    return _UNSAFE.sub(_escape, "\n".join(lines) + "\n")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"


def float_scalar(value: float) -> str:
    """``value`` as a YAML 1.1 float (which needs a dot before an exponent)."""
    if math.isnan(value):
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    return text.replace("e", ".0e", 1) if "e" in text and "." not in text else text


def entries(name: str, mapping: Mapping[str, Any], show: Callable[[Any], str]) -> list[str]:
    """A top-level key holding ``mapping`` as a block mapping, keys sorted."""
    if not mapping:
        return [f"{name}: {{}}"]
    return [f"{name}:", *(_entry(key, show(mapping[key])) for key in sorted(mapping))]


def _entry(key: str, value: str) -> str:
    quoted = scalar(key)
    if len(quoted) <= _MAX_SIMPLE_KEY:
        return f"  {quoted}: {value}"
    return f"  ? {quoted}\n  : {value}"


class _ExtraDumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Dumps unknown keys with every multi-line string on one (escaped) line."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if _LINE_BREAKS.intersection(text) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ExtraDumper.add_representer(str, _represent_str)


def render_extra(extra: Mapping[str, Any]) -> str:
    """Unknown top-level keys, as they were loaded (empty text when none)."""
    if not extra:
        return ""
    return yaml.dump(
        dict(extra), Dumper=_ExtraDumper, allow_unicode=True, sort_keys=False, width=2**31 - 1
    )


# ---------------------------------------------------------------------- read


@dataclass(frozen=True)
class YamlBlock:
    """The loaded machine block: data, node tree, and where it sits in the file."""

    fence_line: int
    body: str
    node: yaml.Node | None
    data: Any

    @property
    def first_line(self) -> int:
        """File line of the block's first YAML line."""
        return self.fence_line + 1

    def line(self, mark: yaml.Mark) -> int:
        """File line of a YAML mark in this block."""
        return _file_line(self.fence_line, self.body, mark)


def _file_line(fence_line: int, body: str, mark: yaml.Mark) -> int:
    # From the character index, not mark.line: YAML also breaks lines at NEL,
    # LS and PS, which editors (and this file's line count) do not.
    return fence_line + 1 + body.count("\n", 0, mark.index)


def find_machine_block(text: str, path: Path | None) -> tuple[int, str] | None:
    """The one ```` ```yaml ```` block as (fence line, body), or None when there is none."""
    lines = text.split("\n")
    found: tuple[int, str] | None = None
    index = 0
    while index < len(lines):
        opening = _OPEN_FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        close = _closing_fence(lines, index, opening.group(1))
        if opening.group(2).lower() in ("yaml", "yml"):
            _check_single(found, close, index + 1, path)
            found = (index + 1, "\n".join(lines[index + 1 : close]))
        index = (close if close is not None else len(lines)) + 1
    return found


def _closing_fence(lines: list[str], opening: int, fence: str) -> int | None:
    closing = re.compile(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t\r]*")
    for index in range(opening + 1, len(lines)):
        if closing.fullmatch(lines[index]):
            return index
    return None


def _check_single(
    found: tuple[int, str] | None, close: int | None, line: int, path: Path | None
) -> None:
    if found is not None:
        raise LoopdError(
            f"a second machine-state block (the first starts at line {found[0]})",
            path=path,
            line=line,
        )
    if close is None:
        raise LoopdError("the machine-state block has no closing ```", path=path, line=line)


def load_block(block: tuple[int, str], path: Path | None) -> YamlBlock:
    """Load a block found by :func:`find_machine_block`, errors at their file line."""
    fence_line, body = block
    try:
        node, data = _compose(body)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        # PyYAML raises ValueError for e.g. `2024-13-45` (a timestamp that is no date).
        problem, offset = _located(exc, body, fence_line)
        raise LoopdError(
            f"malformed YAML in the state block: {problem}", path=path, line=fence_line + offset
        ) from None
    loaded = YamlBlock(fence_line, body, node, data)
    _check_duplicates(loaded, path)
    return loaded


def _compose(body: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(body)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _located(exc: Exception, body: str, fence_line: int) -> tuple[str, int]:
    """The problem and its line offset from the fence (0: the fence itself)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if mark is None:
            return problem, 0
        line = _file_line(fence_line, body, mark)
        if context is not None and _file_line(fence_line, body, context) != line:
            # An unclosed bracket is found where the text ends; say where it began.
            problem = f"{problem} ({exc.context} at line {_file_line(fence_line, body, context)})"
        return problem, line - fence_line
    if isinstance(exc, yaml.reader.ReaderError):
        return exc.reason, 1 + body.count("\n", 0, exc.position)
    return str(exc) or type(exc).__name__, 0


def _mappings(root: yaml.Node | None) -> Iterator[yaml.MappingNode]:
    # Iterative and alias-aware: a hostile `&a [*a]` must not loop or recurse.
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            yield node
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _check_duplicates(block: YamlBlock, path: Path | None) -> None:
    for mapping in _mappings(block.node):
        first: dict[tuple[str, str], int] = {}
        for key, _ in mapping.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            line = block.line(key.start_mark)
            if (key.tag, key.value) in first:
                raise LoopdError(
                    f"key `{key.value}` appears twice (first at line {first[key.tag, key.value]})",
                    path=path,
                    line=line,
                )
            first[key.tag, key.value] = line


def line_of(block: YamlBlock, *where: Any) -> int:
    """File line of the value at key path ``where`` (as deep as the nodes go)."""
    node = block.node
    if node is None:
        return block.fence_line
    for part in where:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return block.line(node.start_mark)


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    children: list[tuple[Any, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        children = [(key.value, value) for key, value in node.value]
    elif isinstance(node, yaml.SequenceNode):
        children = list(enumerate(node.value))
    wanted = str(part)
    return next((child for key, child in children if str(key) == wanted), None)
