"""Fix attempts on a test, kept on disk so the next fixer knows what was tried.

Each fixer call leaves a fix record (``NNN-fix-<id>.attempt.json``): the
tests it was for, the commit it started from, what changed (a diff stat over
the commits and the working tree since then), and the fixer's own summary.
:attr:`LoopState.evidence` lists, per test, its evidence and fix records in
order since it last passed, so the history survives a restart: an attempt's
"observed after" is the first evidence recorded after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from loopd.errors import LoopdError
from loopd.prompting import Attempt
from loopd.testengine.evidence import EvidenceRecord, RunFiles

FIX_SUFFIX = ".attempt.json"
EVIDENCE_SUFFIX = ".evidence.json"
SUMMARY_CHARS = 1500


@dataclass(frozen=True)
class FixRecord:
    """One fixer call, for one test or a cluster of tests failing alike."""

    primary: str
    tests: tuple[str, ...]
    attempts: Mapping[str, int]
    signature: str
    base: str | None
    diffstat: str
    summary: str
    ok: bool
    timed_out: bool
    duration: float
    agent_output: str
    time: str
    path: str = ""
    kind: str = field(default="fix")

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"] = list(self.tests)
        data["attempts"] = dict(self.attempts)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str) -> FixRecord:
        return cls(
            primary=str(data.get("primary", "")),
            tests=tuple(data.get("tests") or ()),
            attempts=dict(data.get("attempts") or {}),
            signature=str(data.get("signature", "")),
            base=data.get("base"),
            diffstat=str(data.get("diffstat", "")),
            summary=str(data.get("summary", "")),
            ok=bool(data.get("ok")),
            timed_out=bool(data.get("timed_out")),
            duration=float(data.get("duration") or 0.0),
            agent_output=str(data.get("agent_output", "")),
            time=str(data.get("time", "")),
            path=path,
        )


def summary_of(text: str) -> str:
    """The end of a fixer's answer, where the template asks for its summary."""
    text = text.strip()
    return text if len(text) <= SUMMARY_CHARS else "…" + text[-SUMMARY_CHARS:]


def save_fix(files: RunFiles, record: FixRecord) -> FixRecord:
    """Store ``record``; the stored copy knows its own path."""
    (path,) = files.allocate("fix", record.primary, (FIX_SUFFIX,))
    stored = FixRecord(**{**asdict(record), "path": files.relative(path)})
    files.write_json(path, stored.as_json())
    return stored


def attempts_of(files: RunFiles, test_id: str, refs: Sequence[str]) -> tuple[Attempt, ...]:
    """The fix attempts on ``test_id`` in ``refs`` (oldest first) and what was seen after each."""
    loaded = [_load(files, ref) for ref in refs]
    history: list[Attempt] = []
    for index, item in enumerate(loaded):
        if not isinstance(item, FixRecord):
            continue
        after = next((x for x in loaded[index + 1 :] if isinstance(x, EvidenceRecord)), None)
        history.append(
            Attempt(
                attempt=item.attempts.get(test_id, len(history) + 1),
                diffstat=item.diffstat,
                summary=item.summary,
                observed_after=_observed(after),
            )
        )
    return tuple(history)


def latest_evidence(files: RunFiles, refs: Sequence[str]) -> EvidenceRecord | None:
    """The newest evidence record among ``refs``."""
    for ref in reversed(refs):
        if ref.endswith(EVIDENCE_SUFFIX):
            found = _load(files, ref)
            if isinstance(found, EvidenceRecord):
                return found
    return None


def _observed(record: EvidenceRecord | None) -> str:
    if record is None:
        return ""
    return f"{record.verdict}: {record.short}"


def _load(files: RunFiles, ref: str) -> FixRecord | EvidenceRecord | None:
    # A record lost with a deleted .loopd/ leaves a gap in the history, not a crash.
    try:
        if ref.endswith(FIX_SUFFIX):
            return FixRecord.from_json(files.read_json(ref), ref)
        if ref.endswith(EVIDENCE_SUFFIX):
            return files.evidence(ref)
    except LoopdError:
        return None
    return None
