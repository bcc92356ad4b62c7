"""``.loopd/<sprint>/services/started.json``: what loopd started, so it stops that and nothing else.

A process is recorded with its pid and its ``LOOPD_PROC_TOKEN`` (a pid can be
reused; the token, inherited by every descendant, cannot), a container with
its id, a compose project with its name and file.  Records outlive the loopd
process that wrote them: ``loopd services down`` stops what ``up`` started.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

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


class _Detached:
    """The part of ``Popen`` :func:`proc.stop` uses, for a process another loopd started.

    It can be signalled but not reaped (it is not our child), so ``poll`` and
    ``wait`` report nothing and :func:`proc.stop` relies on liveness alone.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return None

    def wait(self, timeout: float | None = None) -> int | None:
        return None


def adopt(record: Record) -> proc.Spawned | None:
    """A stoppable handle on a recorded process, or None if nothing of it runs.

    The recorded pid leads the group only if it still carries the token;
    otherwise (it exited and the pid may be reused) one of the marked
    survivors does.
    """
    members = proc.marked(record.token) if record.token else []
    if not members or record.token is None:
        return None
    leader = record.pid if record.pid in members else members[0]
    popen = cast("subprocess.Popen[bytes]", _Detached(leader))
    return proc.Spawned(popen=popen, argv=record.argv, token=record.token)


def stop_process(record: Record, escalation: proc.Escalation) -> bool:
    """Stop a recorded process through the escalation ladder; whether anything was running."""
    child = adopt(record)
    if child is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        proc.stop(child, escalation)
    return True
