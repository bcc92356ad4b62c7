"""Layers of settings: what each source set, where, and how they stack.

Each source (a YAML file, loop-config.sh, the environment, CLI overrides)
yields a :class:`Layer` of validated entries.  Mapping settings are entered key
by key (``agent.binaries.claude``), so a higher layer that sets one key keeps
the lower layers' other keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopd.config.frozen import FrozenMap
from loopd.config.kinds import Invalid, MapKind
from loopd.config.schema import BY_BASH, BY_PATH, FIELDS, SECTIONS, Config, FieldInfo
from loopd.errors import LoopdError


@dataclass(frozen=True)
class Origin:
    """Where a value came from: a file and line, or a named non-file source."""

    source: str
    path: Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    def error(self, message: str, hint: str | None = None) -> LoopdError:
        """A :class:`LoopdError` located here."""
        return LoopdError(message, path=self.path, line=self.line, hint=hint)

    def at(self, line: int | None) -> Origin:
        """The same file at another line."""
        return Origin(self.source, self.path, line)


@dataclass(frozen=True)
class Entry:
    """One validated value one source gave one setting (or one key of a mapping setting)."""

    key: str
    info: FieldInfo
    value: object
    origin: Origin


@dataclass
class Layer:
    """Everything one source set, in the order it set it."""

    source: str
    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exports: dict[str, str] = field(default_factory=dict)  # loop-config.sh's, not settings


def resolve(name: str) -> tuple[FieldInfo, str | None] | None:
    """The setting ``name`` refers to, and the mapping key if it names one.

    ``name`` is a dotted path (``limits.max_iterations``,
    ``agent.binaries.claude``) or a loop-v2 bash name (``MAX_ITERATIONS``).
    """
    if name in BY_BASH:
        return BY_BASH[name], None
    if name in BY_PATH:
        return BY_PATH[name], None
    head, _, key = name.rpartition(".")
    info = BY_PATH.get(head)
    return (info, key) if info is not None and info.kind.mapping and key else None


def suggestion(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when a candidate is close to ``name``, else ``""``."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.8)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown(where: object, name: str, candidates: Iterable[str] = ()) -> str:
    """The warning for a name that is no setting."""
    return f"{where}: {name} is not a loopd setting (ignored){suggestion(name, candidates)}"


def renamed(where: object, old: str, real: str) -> str:
    """The warning for one of loopd's old names (``BACKEND_PORT``), honoured as ``real``."""
    return (
        f"{where}: {old} is an old loopd name that loop-v2 never had; it still works,"
        f" but use {real} (which wins when both are set)"
    )


def all_names() -> list[str]:
    """Every dotted path and bash name, for suggestions."""
    return [*BY_PATH, *BY_BASH]


def entries(
    info: FieldInfo, raw: object, label: str, origin: Origin, key: str | None = None
) -> list[Entry]:
    """Validate ``raw`` for ``info`` (or for its mapping key ``key``) into entries.

    A bad value raises a :class:`LoopdError` at ``origin`` naming ``label``.
    """
    try:
        if key is not None:
            assert isinstance(info.kind, MapKind)
            key = info.kind.key(key, info.rule, info.path)
            return [
                Entry(
                    f"{info.path}.{key}", info, info.kind.parse_item(raw, info.rule, label), origin
                )
            ]
        value = info.parse(raw, label)
    except Invalid as exc:
        raise origin.error(str(exc)) from None
    if isinstance(value, Mapping):
        return [Entry(f"{info.path}.{k}", info, v, origin) for k, v in value.items()]
    return [Entry(info.path, info, value, origin)]


def merge(layers: Iterable[Layer]) -> dict[str, Entry]:
    """The winning entry per key: later layers, and later entries in a layer, win."""
    winners: dict[str, Entry] = {}
    for layer in layers:
        for entry in layer.entries:
            winners[entry.key] = entry
    return winners


def build(winners: Mapping[str, Entry]) -> Config:
    """The :class:`Config` of the defaults with ``winners`` applied."""
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for info in FIELDS:
        if info.kind.mapping:
            assert isinstance(info.default, FrozenMap)
            changes = {e.key.rsplit(".", 1)[1]: e.value for e in winners.values() if e.info is info}
            values[info.section][info.name] = info.default.merged(changes)
        elif info.path in winners:
            values[info.section][info.name] = winners[info.path].value
    return Config(**{name: cls(**values[name]) for name, cls in SECTIONS.items()})
