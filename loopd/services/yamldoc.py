"""A YAML file read node by node, so every value, error and warning knows its line.

The sprint's ``services.yaml`` is composed into nodes, not loaded: a mistake
loopd cannot act on is a :class:`LoopdError` at its line, and an oddity it can
read past is one warning ``<file relative to the repo>:<line>: <message>``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from loopd.errors import LoopdError

T = TypeVar("T")
Entries = dict[str, tuple[Node, Node]]


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


class YamlDoc:
    """One YAML document: typed reads of its nodes, located errors, collected warnings."""

    def __init__(self, path: Path, text: str, where: str) -> None:
        self.path = path
        self.text = text
        self.where = where
        self.warnings: list[str] = []
        self.loader = self.guard(lambda: yaml.SafeLoader(text), None)

    def root(self) -> Node | None:
        return self.guard(self.loader.get_single_node, None)

    def close(self) -> None:
        self.loader.dispose()

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(
            f"{self.where}:{line}: {message}" if line else f"{self.where}: {message}"
        )

    def mapping(self, node: Node, what: str, known: tuple[str, ...] | None) -> Entries:
        """``{key: (key node, value node)}``; unknown and repeated keys are warnings."""
        if not isinstance(node, MappingNode):
            raise self.error(node, f"{what} must be a mapping")
        self.guard(lambda: self.loader.flatten_mapping(node), node)
        found: Entries = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str | int):
                self.warn(line_of(key_node), f"{what}: key {key!r} ignored: keys are names")
                continue
            key = str(key)
            if key in found:
                first = line_of(found[key][0])
                message = f"{what}: {key} is set twice (first at line {first}): this one is used"
                self.warn(line_of(key_node), message)
            elif known is not None and key not in known:
                listed = ", ".join(known)
                self.warn(
                    line_of(key_node), f"{what}: unknown key {key!r} ignored (known: {listed})"
                )
                continue
            found[key] = (key_node, value_node)
        return found

    def value(self, node: Node) -> object:
        return self.guard(lambda: self.loader.construct_object(node, deep=True), node)

    def source(self, node: Node) -> str:
        """The node's text as written in the file."""
        return self.text[node.start_mark.index : node.end_mark.index].strip()

    def string(self, node: Node, what: str, empty: bool = False) -> str:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(node, f"{what} must be a string")
        if value == "" and not empty:
            raise self.error(node, f"{what} must not be empty")
        return str(value)

    def number(self, node: Node, what: str, low: int = 1) -> int:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.error(node, f"{what} must be a whole number >= {low}, not {value!r}")
        return value

    def strings(self, node: Node, what: str, empty: bool = False) -> tuple[str, ...]:
        if isinstance(node, ScalarNode):
            return (self.string(node, what),)
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"{what} must be a list")
        return tuple(self.string(item, what, empty) for item in node.value)

    def error(self, node: Node, message: str, hint: str | None = None) -> LoopdError:
        return LoopdError(message, path=self.path, line=line_of(node), hint=hint)

    def guard(self, step: Callable[[], T], node: Node | None) -> T:
        """Run one PyYAML step; whatever it rejects is located in the file."""
        try:
            return step()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise LoopdError(
                f"invalid YAML: {exc.problem or exc.context}", path=self.path, line=line
            ) from None
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            line = line_of(node) if node is not None else None
            raise LoopdError(f"invalid YAML: {exc}", path=self.path, line=line) from None
