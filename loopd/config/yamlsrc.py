"""Settings from a YAML file (``.loopd/config.yaml``, a sprint's ``loop-config.yaml``).

Keys are nested sections (``limits: {max_test_fix_attempts: 5}``) or loop-v2's
flat bash names at the top level (``MAX_TEST_FIX_ATTEMPTS: 5``).  The file is
composed into nodes rather than loaded, so every value, unknown key and
duplicate is reported with its line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node

from loopd import fsio
from loopd.config.kinds import shown
from loopd.config.layers import Layer, Origin, all_names, entries, renamed, unknown
from loopd.config.schema import BY_BASH, FIELDS, OLD_BASH, SECTIONS, FieldInfo

T = TypeVar("T")


def read_yaml_file(path: Path, source: str | None = None) -> Layer:
    """Read the settings in the YAML file ``path``."""
    return read_yaml(fsio.read_text(path), path, source)


def read_yaml(text: str, path: Path, source: str | None = None) -> Layer:
    """Read the settings in YAML ``text`` that came from ``path``."""
    reader = _Reader(text, Origin(source or str(path), path))
    try:
        reader.read()
    finally:
        reader.loader.dispose()
    return reader.layer


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    def __init__(self, text: str, origin: Origin) -> None:
        self.loader = _guarded(lambda: yaml.SafeLoader(text), origin, 1, text)
        self.origin = origin
        self.layer = Layer(origin.source)
        self.seen: dict[str, int] = {}

    def read(self) -> None:
        root = self._guard(self.loader.get_single_node, 1)
        if root is None or _is_null(root):
            return
        if not isinstance(root, MappingNode):
            raise self.origin.at(_line(root)).error(
                "must be a mapping of settings", hint="e.g. 'limits: {max_test_fix_attempts: 5}'"
            )
        for key_node, value_node in self._pairs(root):
            self._top(key_node, value_node)

    def _top(self, key_node: Node, value_node: Node) -> None:
        key = self._construct(key_node)
        if isinstance(key, str) and key in SECTIONS:
            self._once(key, key_node)
            self._section(key, value_node)
        elif isinstance(key, str) and key in BY_BASH:
            self._setting(BY_BASH[key], key, value_node)
        elif isinstance(key, str) and key in OLD_BASH:
            self._old(key, OLD_BASH[key], value_node)
        else:
            self._unknown(key, key_node, all_names())

    def _section(self, section: str, node: Node) -> None:
        if _is_null(node):
            return
        if not isinstance(node, MappingNode):
            raise self.origin.at(_line(node)).error(f"{section} must be a mapping of settings")
        known = {info.name: info for info in FIELDS if info.section == section}
        for key_node, value_node in self._pairs(node):
            key = self._construct(key_node)
            info = known.get(key) if isinstance(key, str) else None
            if info is None:
                self._unknown(key, key_node, known, prefix=f"{section}.")
            else:
                self._setting(info, info.path, value_node)

    def _setting(self, info: FieldInfo, label: str, node: Node) -> None:
        if info.kind.mapping and isinstance(node, MappingNode):
            for key_node, value_node in self._pairs(node):
                key = self._construct(key_node)
                self._add(info, f"{info.path}.{key}", value_node, key=str(key))
            return
        self._add(info, label, node)

    def _add(self, info: FieldInfo, label: str, node: Node, key: str | None = None) -> None:
        self._once(info.path if key is None else f"{info.path}.{key}", node, label)
        raw = self._construct(node)
        self.layer.entries += entries(info, raw, label, self.origin.at(_line(node)), key)

    def _old(self, old: str, real: str, node: Node) -> None:
        # Entered first (not checked as a duplicate), so the real name wins wherever it is.
        where = self.origin.at(_line(node))
        found = entries(BY_BASH[real], self._construct(node), old, where)
        self.layer.entries[:0] = found
        self.layer.warnings.append(renamed(where, old, real))

    def _once(self, key: str, node: Node, label: str | None = None) -> None:
        first = self.seen.setdefault(key, _line(node))
        if first != _line(node):
            raise self.origin.at(_line(node)).error(
                f"{label or key} is set twice (first at line {first})"
            )

    def _unknown(self, key: object, node: Node, known: Iterable[str], prefix: str = "") -> None:
        name = f"{prefix}{key}" if isinstance(key, str) else shown(key)
        where = self.origin.at(_line(node))
        self.layer.warnings.append(unknown(where, name, [f"{prefix}{k}" for k in known]))

    def _pairs(self, node: MappingNode) -> list[tuple[Node, Node]]:
        # Resolves YAML merge keys (<<: *base) the way loading would.
        self._guard(lambda: self.loader.flatten_mapping(node), _line(node))
        return list(node.value)

    def _construct(self, node: Node) -> object:
        return self._guard(lambda: self.loader.construct_object(node, deep=True), _line(node))

    def _guard(self, step: Callable[[], T], line: int) -> T:
        return _guarded(step, self.origin, line)


def _is_null(node: Node) -> bool:
    return node.tag == "tag:yaml.org,2002:null"


def _guarded(step: Callable[[], T], origin: Origin, line: int, text: str = "") -> T:
    """Run one PyYAML step; anything it rejects becomes a located :class:`LoopdError`."""
    try:
        return step()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        raise origin.at(mark.line + 1 if mark else line).error(f"invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:
        where = text.count("\n", 0, exc.position) + 1
        raise origin.at(where).error(f"invalid YAML: {exc.reason} ({exc.character!r})") from None
    except RecursionError:
        raise origin.at(line).error("invalid YAML: nested too deeply") from None
    except Exception as exc:
        # PyYAML's scalar constructors raise plain ValueError, TypeError, ... on
        # values such as '!!int x' or the date 2001-02-30: all are the user's input.
        raise origin.at(line).error(f"invalid YAML value: {exc}") from None
