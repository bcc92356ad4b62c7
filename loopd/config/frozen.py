"""An immutable, hashable mapping for the mapping-valued settings."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import TypeVar

V = TypeVar("V", bound=Hashable)


class FrozenMap(Mapping[str, V]):
    """A read-only ``str -> V`` mapping that hashes by content.

    ``types.MappingProxyType`` is read-only but unhashable, which would make
    the frozen config dataclasses unhashable too; this keeps them usable as
    cache keys and set members.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[str, V] | Iterable[tuple[str, V]] = ()) -> None:
        self._data: dict[str, V] = dict(items)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def merged(self, changes: Mapping[str, V]) -> FrozenMap[V]:
        """A copy with ``changes`` applied on top; keys not in ``changes`` stay."""
        return FrozenMap({**self._data, **changes})
