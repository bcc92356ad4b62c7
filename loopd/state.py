"""LOOP_STATE.md: the loop's resumable state, readable by people and by loopd.

The file is a short Markdown summary (sprint, phase, iteration, gates, cost,
updated), the three lines loop-v2's ``loop.sh`` reads back (``phase: 2``,
``iteration: 12``, ``gates_passed: vrc1,craap,``: see :func:`loop_v2_lines`),
then exactly one fenced ```` ```yaml ```` block holding the whole machine
state.  loopd resumes from the block alone; the rest is rewritten from it on
every save, for a human glancing at the repo and for going back to loop-v2.

:class:`LoopState` is immutable: a frozen dataclass whose mappings are
read-only views over private copies and whose gates are a ``frozenset``.
Every change returns a new state (``with_gate``, ``bump``, ``with_attempts``
...), so the engine can keep "the state last saved" next to "the state being
built" without aliasing, and a half-applied transition is never what a save
sees.  Copies are cheap (a few hundred entries per map).

Gates are a set of exact names: ``vrc`` never matches ``vrc1`` (loop-v2's
substring test did).  ``version`` is the schema's *incompatible* revision;
additive keys keep it, and top-level keys this loopd does not know are kept in
:attr:`LoopState.extra` and written back, so an older loopd never drops a newer
one's data.  A version newer than :data:`STATE_VERSION` is refused rather than
half-understood.

Files written by loop-v2 (``phase: 3`` / ``**Phase:** 3`` / ``| Gates passed |
vrc1,craap, |`` ...) have no YAML block; they are read liberally by
:mod:`loopd.state_legacy`.

Saving renders first, then under the sprint lock checks that the file on disk
is one loopd can read (so a hand edit with a typo is reported, never clobbered)
and replaces it atomically.  The check is skipped when the file still holds
exactly what this process last wrote or read, which keeps a save to one render
and one durable write.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from loopd import fsio
from loopd.errors import LoopdError
from loopd.state_legacy import parse_legacy, tells_state
from loopd.state_schema import SCHEMA, Bad
from loopd.state_yaml import (
    YamlBlock,
    entries,
    find_machine_block,
    finish,
    float_scalar,
    flow_list,
    line_of,
    load_block,
    render_extra,
    scalar,
)

STATE_VERSION = 1

# Pipeline order (loop-v2's State Machine); summaries list gates in this order.
KNOWN_GATES: tuple[str, ...] = (
    "vrc1",
    "craap",
    "clarity",
    "validate",
    "connect",
    "tidy",
    "planning",
    "vrc2",
    "preflight",
    "service_readiness",
    "test_plan_generated",
)
QUALITY_GATES: tuple[str, ...] = ("craap", "clarity", "validate", "connect", "tidy")
# What loop-v2's invalidate_all_planning cleared (service and test-plan gates survive).
PLANNING_GATES: tuple[str, ...] = ("vrc1", *QUALITY_GATES, "planning", "vrc2", "preflight")
# loopd phases (phases/loop.yaml) that loop-v2 counted as its phase 2.
_LOOP_V2_TESTING_PHASES = frozenset({"testing", "review", "stuck", "completion"})


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class LoopState:
    """Everything the loop must survive a ``kill -9`` with.

    Counter names the engine uses: ``no_progress``, ``impl_no_progress``,
    ``consecutive_blocked``, ``fixes_since_regression``,
    ``service_check_attempts``, ``total_service_failures``, ``agent_calls``;
    any other name is kept as well.  ``fingerprints`` holds the last seen
    hashes that stuck detection compares against (progress, plan, ...).
    ``evidence`` maps a test id to evidence file references, oldest first.
    """

    version: int = STATE_VERSION
    sprint: str = ""
    phase: str = ""
    step: str | None = None
    iteration: int = 0
    loop_iteration: int = 0
    gates: frozenset[str] = frozenset()
    counters: Mapping[str, int] = field(default_factory=_empty)
    cost_usd: float = 0.0
    started: datetime.datetime | None = None
    updated: datetime.datetime | None = None
    stop_reason: str | None = None
    last_task: str | None = None
    task_no_progress: int = 0
    working_on: str | None = None  # the task or test the loop works on (what "stuck" names)
    exit_code: int | None = None  # set when the loop has ended
    stashed: str | None = None  # the command restoring work stashed off a protected branch
    fingerprints: Mapping[str, str] = field(default_factory=_empty)
    test_attempts: Mapping[str, int] = field(default_factory=_empty)
    test_commands: Mapping[str, str] = field(default_factory=_empty)
    evidence: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    extra: Mapping[str, Any] = field(default_factory=_empty)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "gates", frozenset(self.gates))
        for name in ("counters", "fingerprints", "test_attempts", "test_commands", "extra"):
            put(self, name, MappingProxyType(dict(getattr(self, name))))
        put(self, "evidence", MappingProxyType({k: tuple(v) for k, v in self.evidence.items()}))
        clash = _FIELD_NAMES.intersection(self.extra)
        if clash:
            raise ValueError(f"extra keys shadow state fields: {sorted(clash)}")

    def evolve(self, **changes: Any) -> LoopState:
        """A copy with ``changes`` applied (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def gate_passed(self, name: str) -> bool:
        """Whether exactly gate ``name`` has passed."""
        return name in self.gates

    def with_gate(self, name: str) -> LoopState:
        """Gate ``name`` marked passed."""
        return self.evolve(gates=self.gates | {name})

    def without_gates(self, *names: str) -> LoopState:
        """Gates ``names`` invalidated (not passed); unknown names are ignored."""
        return self.evolve(gates=self.gates.difference(names))

    def counter(self, name: str) -> int:
        """Counter ``name`` (0 when never set)."""
        return self.counters.get(name, 0)

    def with_counter(self, name: str, value: int) -> LoopState:
        """Counter ``name`` set to ``value`` (0 to reset)."""
        return self.evolve(counters={**self.counters, name: value})

    def bump(self, name: str, by: int = 1) -> LoopState:
        """Counter ``name`` increased by ``by``."""
        return self.with_counter(name, self.counter(name) + by)

    def attempts(self, test_id: str) -> int:
        """Fix attempts recorded for ``test_id``."""
        return self.test_attempts.get(test_id, 0)

    def with_attempts(self, test_id: str, count: int) -> LoopState:
        """Attempts for ``test_id`` set to ``count``."""
        return self.evolve(test_attempts={**self.test_attempts, test_id: count})

    def with_evidence(self, test_id: str, *refs: str) -> LoopState:
        """``refs`` appended to the evidence of ``test_id``."""
        joined = (*self.evidence.get(test_id, ()), *refs)
        return self.evolve(evidence={**self.evidence, test_id: joined})

    def with_test_command(self, test_id: str, command: str) -> LoopState:
        """The learned REPRO ``command`` for ``test_id``."""
        return self.evolve(test_commands={**self.test_commands, test_id: command})

    def with_fingerprint(self, name: str, digest: str) -> LoopState:
        """The last seen hash ``name`` set to ``digest``."""
        return self.evolve(fingerprints={**self.fingerprints, name: digest})

    def add_cost(self, usd: float) -> LoopState:
        """``usd`` added to the running agent cost."""
        return self.evolve(cost_usd=self.cost_usd + usd)

    def touched(self, now: datetime.datetime) -> LoopState:
        """``updated`` set to ``now`` (and ``started`` too if it was unset)."""
        return self.evolve(updated=now, started=self.started or now)


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(LoopState))


# --------------------------------------------------------------------- render


def render_state(state: LoopState) -> str:
    """The whole LOOP_STATE.md text for ``state``."""
    return (
        f"{_summary(state)}\n{loop_v2_lines(state)}"
        f"\n## Machine state\n\n```yaml\n{_machine_yaml(state)}```\n"
    )


def _summary(state: LoopState) -> str:
    passed = [g for g in KNOWN_GATES if g in state.gates]
    passed += sorted(state.gates.difference(KNOWN_GATES))
    rows = [
        ("Sprint", state.sprint),
        ("Phase", state.phase),
        ("Step", state.step or "-"),
        ("Iteration", str(state.iteration)),
        ("Loop iteration", str(state.loop_iteration)),
        ("Gates passed", ", ".join(passed) or "none"),
        ("Gates pending", ", ".join(g for g in KNOWN_GATES if g not in state.gates) or "none"),
        ("Tests attempted", _tests_line(state)),
        ("Cost", f"${state.cost_usd:.2f} over {state.counter('agent_calls')} agent calls"),
        ("Stopped", state.stop_reason or "-"),
        *([("Stashed work", f"restore with `{state.stashed}`")] if state.stashed else []),
        ("Updated", _stamp(state.updated)),
    ]
    body = "\n".join(f"- **{key}:** {_one_line(value)}" for key, value in rows)
    return (
        f"# Loop state: {_one_line(state.sprint)}\n\n"
        "> Written by loopd after every transition. It resumes from the YAML block below;\n"
        "> edit that only while loopd is stopped.\n\n"
        f"{body}\n"
    )


def loop_v2_lines(state: LoopState) -> str:
    """The section loop-v2's ``loop.sh`` reads back: ``phase:``, ``iteration:``, ``gates_passed:``.

    loop.sh greps each of those names at the start of a line and keeps what
    follows the colon, spaces removed; every matching line counts, so these
    are the only lines of the file that start with them (the YAML block
    quotes its own ``"phase"`` and ``"iteration"`` keys for that reason).
    """
    gates = "".join(f"{gate}," for gate in KNOWN_GATES if gate in state.gates)
    return (
        "## For loop-v2\n\n"
        "loop-v2's `loop.sh` reads these three lines back (its phase number, test iteration and\n"
        "gates), so the sprint can go back to it without losing its gates.\n\n"
        "```text\n"
        f"phase: {loop_v2_phase(state)}\n"
        f"iteration: {state.iteration}\n"
        f"gates_passed: {gates}\n"
        "```\n"
    )


def loop_v2_phase(state: LoopState) -> int:
    """loop-v2's phase number: 0 documents checked, 1 planning to implementation, 2 testing on.

    loop.sh only tells 0 (or none: check the documents again) from the rest;
    it wrote 2 from the first test iteration on, and so does this.
    """
    if state.iteration > 0 or state.phase in _LOOP_V2_TESTING_PHASES:
        return 2
    return 0 if state.phase in ("", "setup") else 1


def _tests_line(state: LoopState) -> str:
    tried, total = len(state.test_attempts), sum(state.test_attempts.values())
    return f"{tried}; attempts: {total}; learned commands: {len(state.test_commands)}"


def _stamp(when: datetime.datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else "-"


def _one_line(text: str, limit: int = 160) -> str:
    # Summary values must never break the Markdown (or open a fence).
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _machine_yaml(state: LoopState) -> str:
    lines = [
        f"version: {state.version}",
        f"sprint: {scalar(state.sprint)}",
        # Quoted: loop.sh greps `^phase:` and `^iteration:` and must find only its own lines.
        f'"phase": {scalar(state.phase)}',
        f"step: {_optional(state.step)}",
        f'"iteration": {state.iteration}',
        f"loop_iteration: {state.loop_iteration}",
        f"gates: [{', '.join(scalar(g) for g in sorted(state.gates))}]",
        *entries("counters", state.counters, str),
        f"cost_usd: {float_scalar(state.cost_usd)}",
        f"started: {_optional(_iso(state.started))}",
        f"updated: {_optional(_iso(state.updated))}",
        f"stop_reason: {_optional(state.stop_reason)}",
        f"last_task: {_optional(state.last_task)}",
        f"task_no_progress: {state.task_no_progress}",
        f"working_on: {_optional(state.working_on)}",
        f"exit_code: {'null' if state.exit_code is None else state.exit_code}",
        f"stashed: {_optional(state.stashed)}",
        *entries("fingerprints", state.fingerprints, scalar),
        *entries("test_attempts", state.test_attempts, str),
        *entries("test_commands", state.test_commands, scalar),
        *entries("evidence", state.evidence, flow_list),
    ]
    return finish(lines) + render_extra(state.extra)


def _optional(text: str | None) -> str:
    return "null" if text is None else scalar(text)


def _iso(when: datetime.datetime | None) -> str | None:
    return when.isoformat() if when else None


# ---------------------------------------------------------------------- parse


def parse_state(text: str, path: Path | None = None) -> LoopState:
    """Read LOOP_STATE.md ``text``: loopd's format, or loop-v2's when there is no block.

    Raises :class:`LoopdError` naming ``path`` and the line in the file for
    malformed YAML, a block that is not a mapping, a value of the wrong type,
    an unsupported ``version``, or more than one machine block; and for a file
    with neither a block nor loop-v2's lines (empty, or truncated): starting
    over from it would silently re-plan the whole sprint.
    """
    block = find_machine_block(text, path)
    if block is None:
        if not tells_state(text):
            what = "is empty" if not text.strip() else "holds no loop state"
            raise LoopdError(
                f"{what}: neither loopd's ```yaml block nor loop-v2's `phase:` lines",
                path=path,
                line=1,
                hint=recovery_hint(path),
            )
        return LoopState(**parse_legacy(text))
    return _from_block(load_block(block, path), path)


def recovery_hint(path: Path | None) -> str:
    """How to go on from an unreadable LOOP_STATE.md: the last archive, or a fresh start."""
    archive = (
        f".loopd/{path.parent.name}/archive/" if path is not None else ".loopd/<sprint>/archive/"
    )
    return (
        f"copy the last LOOP_STATE-*.md from {archive} (if there is one) over it to resume,"
        " or delete it to start the sprint afresh (planning included)"
    )


def step_line(path: Path) -> int | None:
    """Line of ``step:`` in the state file's machine block (None when it has none)."""
    try:
        block = find_machine_block(fsio.read_text(path), path)
        return None if block is None else line_of(load_block(block, path), "step")
    except LoopdError:
        return None


def _from_block(block: YamlBlock, path: Path | None) -> LoopState:
    data = block.data
    if not isinstance(data, dict):
        raise LoopdError(
            "the machine-state block must be a mapping of `key: value` lines",
            path=path,
            line=block.first_line,
        )
    _check_version(block, path, data)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise LoopdError(f"key {key!r} must be text", path=path, line=line_of(block, key))
        if key in SCHEMA:
            values[key] = _checked(block, path, key, value)
        else:
            extra[key] = value
    return LoopState(**values, extra=extra)


def _checked(block: YamlBlock, path: Path | None, key: str, value: Any) -> Any:
    try:
        return SCHEMA[key](value)
    except Bad as bad:
        where = ".".join(str(part) for part in (key, *bad.where))
        line = line_of(block, key, *bad.where)
        raise LoopdError(f"`{where}` {bad.message}", path=path, line=line) from None


def _check_version(block: YamlBlock, path: Path | None, data: Mapping[Any, Any]) -> None:
    if "version" not in data:
        raise LoopdError(
            "the machine-state block has no `version`", path=path, line=block.fence_line
        )
    version = _checked(block, path, "version", data["version"])
    if not 1 <= version <= STATE_VERSION:
        raise LoopdError(
            f"state version {version} is not one this loopd reads (1..{STATE_VERSION})",
            path=path,
            line=line_of(block, "version"),
            hint="written by a newer loopd? upgrade loopd" if version > STATE_VERSION else None,
        )


assert set(SCHEMA) == _FIELD_NAMES - {"extra"}, "schema and LoopState fields disagree"


# ----------------------------------------------------------------- load, save

# Digest of the text this process last wrote or read per path: a file still
# holding it needs no re-validation before being replaced.
_known_good: dict[Path, bytes] = {}


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def load_state(path: Path) -> LoopState:
    """The state in ``path``; a fresh :class:`LoopState` when the file does not exist."""
    if not path.exists():
        return LoopState()
    try:
        text = fsio.read_text(path)
    except LoopdError as exc:  # not UTF-8, or unreadable: never taken for a fresh start
        raise LoopdError(exc.message, path=path, hint=recovery_hint(path)) from None
    state = parse_state(text, path)
    _known_good[path] = _digest(text)
    return state


def save_state(
    path: Path,
    state: LoopState,
    lock_path: Path,
    *,
    lock_timeout: float = fsio.DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Write ``state`` to ``path`` atomically under ``lock_path``.

    Refuses (LoopdError with file:line, file untouched) when the file on disk
    is not one loopd can read: a hand edit gone wrong is reported, not lost.
    """
    text = render_state(state)
    with fsio.locked(lock_path, lock_timeout):
        _check_replaceable(path)
        fsio.atomic_write(path, text)
        _known_good[path] = _digest(text)


def _check_replaceable(path: Path) -> None:
    if not path.exists():
        return
    current = fsio.read_text(path)
    if _known_good.get(path) != _digest(current):
        parse_state(current, path)


__all__ = [
    "KNOWN_GATES",
    "PLANNING_GATES",
    "QUALITY_GATES",
    "STATE_VERSION",
    "LoopState",
    "load_state",
    "loop_v2_lines",
    "loop_v2_phase",
    "parse_state",
    "render_state",
    "save_state",
]
