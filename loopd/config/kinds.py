"""Value kinds: how a setting's raw value (YAML, bash, environment) becomes typed.

A setting's kind comes from its annotation in :mod:`loopd.config.schema`.
Every kind accepts the native YAML form *and* the text form that bash and the
environment give, so one rule validates every source.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from loopd.config.frozen import FrozenMap

_INT = re.compile(r"[+-]?\d+")
_SPLIT = re.compile(r"[,\s]+")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class Invalid(Exception):
    """A raw value does not fit its setting; the message is complete but unlocated."""


@dataclass(frozen=True)
class Rule:
    """Constraints of one setting beyond its type."""

    low: float | None = 0
    high: float | None = None
    above_zero: bool = False
    choices: tuple[str, ...] = ()
    nonempty: bool = False
    keys: tuple[str, ...] = ()


def shown(raw: object) -> str:
    """``raw`` for an error message, bounded."""
    text = repr(raw)
    return text if len(text) <= 80 else text[:77] + "..."


def bounds(noun: str, rule: Rule) -> str:
    """``noun`` with the range ``rule`` allows: ``an integer from 0 to 100``."""
    if rule.above_zero:
        return f"{noun} > 0"
    if rule.low is not None and rule.high is not None:
        return f"{noun} from {rule.low:g} to {rule.high:g}"
    if rule.low is not None:
        return f"{noun} >= {rule.low:g}"
    return noun


def _in_bounds(value: float, rule: Rule) -> bool:
    if rule.above_zero and value <= 0:
        return False
    if rule.low is not None and value < rule.low:
        return False
    return rule.high is None or value <= rule.high


def _fail(label: str, expected: str, raw: object) -> Invalid:
    return Invalid(f"{label} {expected}, got {shown(raw)}")


class Kind:
    """The type of a setting: parses raw values and renders typed ones as text."""

    noun = "value"
    mapping = False

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        raise NotImplementedError

    def text(self, value: object) -> str:
        return str(value)


class IntKind(Kind):
    noun = "integer"

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and _INT.fullmatch(raw.strip()):
            value = int(raw.strip())
        if value is None or not _in_bounds(value, rule):
            raise _fail(label, "must be " + bounds("an integer", rule), raw)
        return value


class FloatKind(Kind):
    noun = "number"

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        value = _to_float(raw)
        if value is None or not _in_bounds(value, rule):
            raise _fail(label, "must be " + bounds("a number", rule), raw)
        return value

    def text(self, value: object) -> str:
        return f"{value:g}"


def _to_float(raw: object) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


class BoolKind(Kind):
    noun = "boolean"

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        if isinstance(raw, bool):
            return raw
        word = raw.strip().lower() if isinstance(raw, str) else None
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise _fail(label, "must be true or false", raw)

    def text(self, value: object) -> str:
        return "true" if value else "false"


class StrKind(Kind):
    noun = "string"

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        if rule.choices:
            if raw not in rule.choices:
                raise _fail(label, f"must be one of {', '.join(rule.choices)}", raw)
        elif not isinstance(raw, str) or (rule.nonempty and not raw.strip()):
            raise _fail(
                label, "must be a non-empty string" if rule.nonempty else "must be a string", raw
            )
        return raw


class OptStrKind(StrKind):
    """A string or nothing; an empty string (``VAR=``) means nothing."""

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        if raw is None or raw == "":
            return None
        return super().parse(raw, rule, label)

    def text(self, value: object) -> str:
        return "" if value is None else str(value)


class OptPathKind(OptStrKind):
    noun = "path"

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        value = super().parse(raw, rule, label)
        return None if value is None else Path(str(value))


def _list_from_text(raw: str, label: str) -> object:
    """A list given as text: YAML flow (``[5, 10]``) or separated by commas or spaces."""
    if raw.strip().startswith("["):
        try:
            return yaml.safe_load(raw)
        except (yaml.YAMLError, ValueError):
            raise _fail(label, "must be a list", raw) from None
    return [part for part in _SPLIT.split(raw.strip()) if part]


class FloatsKind(Kind):
    noun = "list of numbers"
    _item = FloatKind()

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        items = _list_from_text(raw, label) if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple) or not items:
            raise _fail(label, "must be a non-empty list of numbers", raw)
        return tuple(self._item.parse(item, rule, f"{label}[{i}]") for i, item in enumerate(items))

    def text(self, value: object) -> str:
        assert isinstance(value, tuple)
        return ", ".join(f"{item:g}" for item in value)


class ArgsKind(Kind):
    """Command-line arguments: a list of strings, or one string split like a shell does."""

    noun = "argument list"

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        if isinstance(raw, str):
            try:
                return tuple(shlex.split(raw))
            except ValueError as exc:
                raise _fail(label, f"must split into shell words ({exc})", raw) from None
        if isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
            return tuple(raw)
        raise _fail(label, "must be a list of strings", raw)

    def text(self, value: object) -> str:
        assert isinstance(value, tuple)
        return shlex.join(value)


class MapKind(Kind):
    """A mapping from a fixed set of keys to values of ``item``; merged key by key."""

    noun = "mapping"
    mapping = True

    def __init__(self, item: Kind) -> None:
        self.item = item

    def parse(self, raw: object, rule: Rule, label: str) -> object:
        if isinstance(raw, str):
            raw = _mapping_from_text(raw, label)
        if not isinstance(raw, Mapping):
            raise _fail(label, "must be a mapping", raw)
        return FrozenMap(
            {
                self.key(k, rule, label): self.parse_item(v, rule, f"{label}.{k}")
                for k, v in raw.items()
            }
        )

    def key(self, key: object, rule: Rule, label: str) -> str:
        """Check one key of the mapping."""
        if not isinstance(key, str) or key not in rule.keys:
            raise Invalid(f"{label}: unknown key {shown(key)} (known: {', '.join(rule.keys)})")
        return key

    def parse_item(self, raw: object, rule: Rule, label: str) -> object:
        """Parse the value of one key."""
        return self.item.parse(raw, Rule(nonempty=rule.nonempty), label)

    def text(self, value: object) -> str:
        assert isinstance(value, Mapping)
        return ", ".join(f"{k}={self.item.text(v)}" for k, v in value.items())


def _mapping_from_text(raw: str, label: str) -> object:
    try:
        return yaml.safe_load(raw)
    except (yaml.YAMLError, ValueError):
        raise _fail(label, "must be a YAML mapping such as '{key: value}'", raw) from None


KINDS: Mapping[object, Kind] = {
    int: IntKind(),
    float: FloatKind(),
    bool: BoolKind(),
    str: StrKind(),
    str | None: OptStrKind(),
    Path | None: OptPathKind(),
    tuple[float, ...]: FloatsKind(),
    tuple[str, ...]: ArgsKind(),
    Mapping[str, str]: MapKind(StrKind()),
    Mapping[str, tuple[str, ...]]: MapKind(ArgsKind()),
}
