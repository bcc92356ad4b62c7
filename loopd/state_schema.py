"""The machine block's schema: one checker per LoopState field, declared once.

A checker takes the value PyYAML loaded and returns the field's value, or
raises :class:`Bad` saying what is wrong and where below the field's key, so
the caller can report the line in the file.  Collections may be ``null``
(empty); numbers are counts (whole, >= 0) or money (finite, >= 0).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from typing import Any


class Bad(Exception):
    """A value of the wrong shape; ``where`` is its key path below the top-level key."""

    def __init__(self, message: str, *where: Any) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise Bad(f"must be text, got {_show(value)}")


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _optional_count(value: Any) -> int | None:
    return None if value is None else _count(value)


def _phase(value: Any) -> str:
    # loop-v2 phases are numbers; a hand-written `phase: 3` means "3".
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _count(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise Bad(f"must be a whole number >= 0, got {_show(value)}")


def _money(value: Any) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value) and value >= 0:
        return float(value)
    raise Bad(f"must be a number >= 0, got {_show(value)}")


def _time(value: Any) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise Bad(f"must be an ISO 8601 date and time, got {_show(value)}")


def _at(where: Any, check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except Bad as bad:
        raise Bad(bad.message, where, *bad.where) from None


def _list_of(check: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    def checked(value: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise Bad(f"must be a list, got {_show(value)}")
        return tuple(_at(i, check, item) for i, item in enumerate(value))

    return checked


def _map_of(check: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    def checked(value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise Bad(f"must be a mapping, got {_show(value)}")
        return {_at(key, _text, key): _at(key, check, item) for key, item in value.items()}

    return checked


def _names(value: Any) -> frozenset[str]:
    return frozenset(_list_of(_text)(value))


SCHEMA: dict[str, Callable[[Any], Any]] = {
    "version": _count,
    "sprint": _text,
    "phase": _phase,
    "step": _optional_text,
    "iteration": _count,
    "loop_iteration": _count,
    "gates": _names,
    "counters": _map_of(_count),
    "cost_usd": _money,
    "started": _time,
    "updated": _time,
    "stop_reason": _optional_text,
    "last_task": _optional_text,
    "task_no_progress": _count,
    "working_on": _optional_text,
    "exit_code": _optional_count,
    "stashed": _optional_text,
    "fingerprints": _map_of(_text),
    "test_attempts": _map_of(_count),
    "test_commands": _map_of(_text),
    "evidence": _map_of(_list_of(_text)),
}
