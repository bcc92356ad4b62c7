"""Evidence records: what a failed check observed, stored where a fixer and a person can read it.

One record per failed check (DESIGN.md "Evidence"): test id, attempt,
verdict, how it ran, exit code, timed out, duration, the EVIDENCE lines or
JUnit failure messages, the output's head and tail, the normalized
signature, and the path of the full log.  Records are JSON files in the run
directory next to the agent calls (``NNN-<role>-<id>.evidence.json`` and the
full ``NNN-<role>-<id>.log``); :attr:`LoopState.evidence` refers to them by
repo-relative path.  Everything in them was redacted before it got here.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, cast

from loopd import fsio
from loopd.agents import rundir
from loopd.errors import LoopdError
from loopd.prompting import Evidence
from loopd.prompting.context import HowRan
from loopd.testengine.protocol import PASS
from loopd.testengine.signature import key_line, signature

HEAD_LINES, TAIL_LINES = 30, 80
HEAD_CHARS, TAIL_CHARS = 2500, 6000
SHORT = 200
_NUMBERED = re.compile(r"^(\d{3,})-")


def bounded(text: str) -> str:
    """``text``, or its head and tail with a note of what was left out between them."""
    lines = text.splitlines()
    if len(lines) <= HEAD_LINES + TAIL_LINES and len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    head = "\n".join(lines[:HEAD_LINES])[:HEAD_CHARS]
    tail = "\n".join(lines[-TAIL_LINES:])[-TAIL_CHARS:]
    left_out = max(0, len(lines) - HEAD_LINES - TAIL_LINES)
    return f"{head}\n[... {left_out} line(s) left out; the full log has them ...]\n{tail}"


def one_line(text: str, limit: int = SHORT) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class CheckFacts:
    """What every check result says, observed or stored."""

    test_id: str
    verdict: str
    how: HowRan
    command: str | None
    exit_code: int | None
    timed_out: bool
    duration: float
    lines: tuple[str, ...]
    output: str


@dataclass(frozen=True)
class Observation(CheckFacts):
    """One check's outcome, already redacted; ``output`` is the whole of it."""

    repro: str | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == PASS and not self.timed_out

    @property
    def signature(self) -> str:
        return signature(self.lines, self.output, timed_out=self.timed_out)

    def short(self) -> str:
        """One line saying what went wrong, for plan tasks, logs and peers."""
        line = key_line(self.lines, self.output)
        if self.timed_out:
            said = f": {line}" if line else ""
            return one_line(f"timed out after {self.duration:.0f} s{said}")
        if line:
            return one_line(line)
        code = "no exit code" if self.exit_code is None else f"exit {self.exit_code}"
        return f"{self.verdict}, {code}, no output"


@dataclass(frozen=True)
class EvidenceRecord(CheckFacts):
    """A stored failed check: ``output`` is bounded, ``path`` is this record's own file."""

    attempt: int
    signature: str
    short: str
    log_path: str
    trigger: str
    time: str
    repro: str | None
    path: str = ""

    def to_prompt(self) -> Evidence:
        """The prompt context's view of this record."""
        shared = {f.name: getattr(self, f.name) for f in fields(Evidence)}
        if self.repro:
            shared["lines"] = (*self.lines, f"REPRO (from the test runner): {self.repro}")
        return Evidence(**shared)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["lines"] = list(self.lines)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], path: str) -> EvidenceRecord:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["lines"] = tuple(values.get("lines") or ())
        values["path"] = path
        return cls(**values)


class RunFiles:
    """Numbered evidence and fix files in one run directory, never overwritten."""

    def __init__(self, repo: Path, run_dir: Path) -> None:
        self.repo = repo
        self.run_dir = run_dir

    def relative(self, path: Path) -> str:
        """``path`` as the agents (working in ``repo``) reach it, the same in every run.

        In a sprint's worktree the run files live in the checkout's ``.loopd/``,
        outside the worktree: ``../../<sprint>/runs/...`` from the agent's working
        directory, never an absolute path that differs from machine to machine.
        """
        try:
            return str(path.relative_to(self.repo))
        except ValueError:
            return os.path.relpath(path, self.repo)

    def allocate(self, role: str, ident: str, suffixes: tuple[str, ...]) -> list[Path]:
        """Fresh ``NNN-<role>-<ident><suffix>`` paths, created empty, one per suffix."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{rundir.slug(role)}-{rundir.slug(ident)}"
        with fsio.locked(self.run_dir / rundir.LOCK_NAME):
            number = _next_number(self.run_dir)
            while True:
                paths = [self.run_dir / f"{number:03d}-{stem}{suffix}" for suffix in suffixes]
                try:
                    rundir.write_new(paths[0], "")
                    break
                except FileExistsError:
                    number += 1
        return paths

    def save_evidence(
        self, observation: Observation, *, role: str, attempt: int, trigger: str, time: str
    ) -> EvidenceRecord:
        """Store ``observation`` as failed-check evidence: the full log and the JSON record."""
        json_path, log_path = self.allocate(role, observation.test_id, (".evidence.json", ".log"))
        rundir.write_new(log_path, observation.output)
        facts = {f.name: getattr(observation, f.name) for f in fields(CheckFacts)}
        facts.update(duration=round(observation.duration, 3), output=bounded(observation.output))
        record = EvidenceRecord(
            **facts,
            attempt=attempt,
            signature=observation.signature,
            short=observation.short(),
            log_path=self.relative(log_path),
            trigger=trigger,
            time=time,
            repro=observation.repro,
            path=self.relative(json_path),
        )
        self.write_json(json_path, record.as_json())
        return record

    def write_json(self, path: Path, data: dict[str, Any]) -> None:
        fsio.atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def read_json(self, ref: str) -> dict[str, Any]:
        """The JSON object in the repo-relative file ``ref``."""
        path = self.repo / ref
        try:
            data = json.loads(fsio.read_text(path))
        except (OSError, ValueError) as exc:
            raise LoopdError(f"cannot read evidence file: {exc}", path=path) from None
        if not isinstance(data, dict):
            raise LoopdError("evidence file is not a JSON object", path=path)
        return cast(dict[str, Any], data)

    def evidence(self, ref: str) -> EvidenceRecord:
        """The evidence record in ``ref``."""
        return EvidenceRecord.from_json(self.read_json(ref), ref)


def _next_number(run_dir: Path) -> int:
    numbers = [int(m.group(1)) for p in run_dir.iterdir() if (m := _NUMBERED.match(p.name))]
    return max(numbers, default=0) + 1
