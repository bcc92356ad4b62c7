"""``.loopd/<sprint>/services/started.json``: what loopd started, so it stops that and nothing else.

A process is recorded with its pid and its ``LOOPD_PROC_TOKEN`` (a pid can be
reused; the token, inherited by every descendant, cannot), a container with
its id, a compose project with its name and file.  Records outlive the loopd
process that wrote them: ``loopd services down`` stops what ``up`` started.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from loopd import fsio, proc
from loopd.errors import LoopdError

LEDGER_FILE = "started.json"
RecordKind = Literal["process", "container", "compose"]


@dataclass(frozen=True)
class Record:
    """One thing loopd started for a service."""

    service: str
    kind: RecordKind
    started: str
    pid: int | None = None
    token: str | None = None
    argv: tuple[str, ...] = ()
    container: str | None = None
    project: str | None = None
    compose_file: str | None = None


class Ledger:
    """The started-things record of one sprint, read and written under a lock."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LEDGER_FILE
        self._lock = directory / "started.lock"

    def records(self) -> tuple[Record, ...]:
        if not self.path.is_file():
            return ()
        try:
            data = json.loads(fsio.read_text(self.path))
            return tuple(_record(item) for item in data["started"])
        except (ValueError, KeyError, TypeError) as exc:
            raise LoopdError(
                f"unreadable record of started services: {exc}",
                path=self.path,
                hint="stop the services by hand, then delete it",
            ) from None

    def add(self, record: Record) -> None:
        with fsio.locked(self._lock):
            self._write((*self.records(), record))

    def remove(self, gone: Iterable[Record]) -> None:
        dropped = set(gone)
        with fsio.locked(self._lock):
            self._write(tuple(r for r in self.records() if r not in dropped))

    def owner(self, pid: int) -> Record | None:
        """The process record whose token ``pid`` carries, if loopd started it."""
        return next(
            (r for r in self.records() if r.token and pid in proc.marked(r.token)),
            None,
        )

    def _write(self, records: tuple[Record, ...]) -> None:
        text = json.dumps({"started": [_json(r) for r in records]}, indent=2)
        fsio.atomic_write(self.path, text + "\n")


def _json(record: Record) -> dict[str, Any]:
    return {k: v for k, v in asdict(record).items() if v not in (None, ())}


def _record(item: dict[str, Any]) -> Record:
    record = Record(**item)
    if record.kind not in ("process", "container", "compose"):
        raise ValueError(f"unknown kind {record.kind!r}")
    return replace(record, argv=tuple(record.argv))


def stop_process(record: Record, escalation: proc.Escalation) -> bool:
    """Stop a recorded process through the escalation ladder; whether anything was running.

    It may not be our child (``loopd services down`` stops what ``up`` started
    in another process), so it is found by the token it and its descendants
    carry, not by a handle.
    """
    if record.token is None:
        return False
    return bool(proc.stop_tree(record.token, escalation))
