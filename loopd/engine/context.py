"""The one object every step receives: the sprint, its config and state, and the seams.

Steps read and change the world only through it: ``ask`` for an agent call,
``plan``/``tests``/``edit_*`` for the checklists, ``commit`` for git,
``update`` for the state.  ``update`` persists at once, so a ``kill -9``
after it loses nothing; ``stage`` changes the state for the transition to
persist.  A step re-run after a restart gets its finished agent calls
answered from the checkpoint (``ask``) and its snapshots back
(``remember``), so it decides as it would have the first time.

Budgets are per run (this process): a loop stopped by one starts afresh
when it is started again; the sprint's totals stay in the state.

The exactly-once invariant.  A ``kill -9`` right after any durable write
(every one is named: :mod:`loopd.crashpoint`) followed by ``loopd run``
ends the sprint exactly as an uncrashed run does: the same exit code,
plans, state, commits and agent calls; no agent call, commit or archive
twice.  It holds because every effect is one of:

- a single atomic write (``update``, one checklist ``edit_*``): done or not;
- a transition: saves the next state and clears the step's checkpoint in one
  write (:mod:`loopd.engine.machine`); the step re-runs until it is saved;
- a decision or snapshot the step re-runs from (``remember``) and an agent
  call (``ask``): recorded in the step's checkpoint in the same write as
  what they count, answered from it when the step re-runs;
- a multi-write effect (a test passed, failed to blocked, regressed; its
  marker, tasks, state): an *intent* (:mod:`loopd.engine.intents`) saved
  before its writes, applied idempotently, rolled forward before the step
  re-runs, and found done by the re-run;
- the loop's end (archive, last commit, the end's record): its intent is
  ``end-intent.json`` (:func:`loopd.engine.steps.completion.end`), finished
  by the next run instead of starting the sprint over;
- a commit: of what changed since the last one, so repeating it after a kill
  commits nothing.

A step re-run after a kill therefore decides on what the killed run
recorded (its checkpoint and intents), never on counts it had already
changed: counts are set from recorded decisions, never incremented again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from loopd import crashpoint, fsio
from loopd.agents import AgentRequest, AgentResult
from loopd.checklist import Checklist, DocKind, edit
from loopd.clock import Clock
from loopd.config import Config
from loopd.engine import checkpoint
from loopd.engine.marks import MarkKeeper
from loopd.engine.ports import Agents, Git, Services, ServiceSnapshot, TestEngine
from loopd.errors import LoopdError
from loopd.events import AGENT_EVENT, EventLog
from loopd.prompting import ROLE_FOR_PROMPT, PromptContext, render_prompt
from loopd.sprint import Sprint
from loopd.state import LoopState, save_state


class StopLoop(Exception):
    """Raised by a step or a budget check: end the loop now with ``reason`` (exit 1)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Reporter = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Usage:
    """What this run (this process) has used, for the budgets and ``loopd status``."""

    agent_calls: int
    cost_usd: float
    wall_time: float
    loop_iterations: int


@dataclass
class Context:
    sprint: Sprint
    config: Config
    state: LoopState
    agents: Agents
    git: Git
    services: Services
    tests_engine: TestEngine
    events: EventLog
    clock: Clock
    report: Reporter = print
    services_snapshot: ServiceSnapshot = field(default_factory=ServiceSnapshot)
    started_monotonic: float = 0.0
    # Where this run began: budgets and MAX_LOOP_ITERATIONS count from here.
    base: Usage = field(init=False)
    started_at: str = field(init=False)
    _asks: int = field(default=0, init=False, repr=False)
    # Checklist and template warnings already noted in this run: each is told once,
    # not on every re-read or call.
    _warned: set[str] = field(default_factory=set, init=False, repr=False)
    _last_checked: dict[DocKind, Checklist] = field(default_factory=dict, init=False, repr=False)
    # The marks loopd wrote: one gone (a stale editor copy saved over) is told once.
    _marks: MarkKeeper = field(default_factory=MarkKeeper, init=False, repr=False)

    def __post_init__(self) -> None:
        self.begin_run(self.started_monotonic or None)

    def begin_run(self, monotonic: float | None = None) -> None:
        """A run of the loop begins (a daemon re-running after a change starts another)."""
        self.started_monotonic = self.clock.monotonic() if monotonic is None else monotonic
        self.started_at = self.clock.now().isoformat(timespec="seconds")
        self._warned, self._last_checked = set(), {}
        self.base = Usage(
            agent_calls=self.state.counter("agent_calls"),
            cost_usd=self.state.cost_usd,
            wall_time=0.0,
            loop_iterations=self.state.loop_iteration,
        )

    # ---- state -------------------------------------------------------------
    def update(self, state: LoopState) -> LoopState:
        """Make ``state`` current and persist it in LOOP_STATE.md.

        status.json is rewritten by the machine on every transition (and
        ``loopd status`` reads the live counters from LOOP_STATE.md), so a
        save costs one durable write.
        """
        self.state = state.touched(self.clock.now())
        save_state(self.sprint.state_file, self.state, self.sprint.files_lock)
        return self.state

    def stage(self, state: LoopState) -> LoopState:
        """Make ``state`` current without saving: the step's transition saves it.

        For a step whose only effect is on the state: killed before its
        transition, it re-runs from the saved state and decides the same.
        """
        self.state = state
        return state

    def usage(self) -> Usage:
        """What this run has used so far."""
        return Usage(
            agent_calls=self.state.counter("agent_calls") - self.base.agent_calls,
            cost_usd=self.state.cost_usd - self.base.cost_usd,
            wall_time=self.clock.monotonic() - self.started_monotonic,
            loop_iterations=self.state.loop_iteration - self.base.loop_iterations,
        )

    def write_status(self, **extra: Any) -> None:
        """status.json: the snapshot ``loopd status`` and scripts read, rewritten atomically."""
        state = self.state
        snapshot = {
            "sprint": self.sprint.name,
            "pid": os.getpid(),
            "step": state.step,
            "phase": state.phase,
            "iteration": state.iteration,
            "loop_iteration": state.loop_iteration,
            "working_on": state.working_on,
            "gates": sorted(state.gates),
            "counters": dict(state.counters),
            "cost_usd": round(state.cost_usd, 6),
            "stop_reason": state.stop_reason,
            "exit_code": state.exit_code,
            "updated": state.updated.isoformat() if state.updated else None,
            "run": {"started": self.started_at, "base": asdict(self.base), **asdict(self.usage())},
            "budgets": self._limits(),
            "services": [asdict(s) for s in self.services_snapshot.services],
            **extra,
        }
        path = self.sprint.runtime / "status.json"
        fsio.atomic_write(path, json.dumps(snapshot, indent=2) + "\n")

    def _limits(self) -> dict[str, float]:
        budgets = self.config.budgets
        return {
            "max_agent_calls": budgets.max_agent_calls,
            "max_cost_usd": budgets.max_cost_usd,
            "max_wall_time": budgets.max_wall_time,
            "max_loop_iterations": self.config.limits.max_loop_iterations,
        }

    # ---- checkpoints -------------------------------------------------------
    def begin_step(self, step: str | None = None, *, resumed: bool = False) -> None:
        """A step starts (or starts again after a restart): its agent calls count from 0.

        Given the state's name, git notes the untracked files there now, which
        the step's commits leave alone (``resumed``: those noted when the
        step first began, before the loop was stopped in it).
        """
        self._asks = 0
        if step is not None:
            self.git.begin_step(step, resumed=resumed)

    def remember(
        self,
        key: str,
        compute: Callable[[], T],
        then: Callable[[LoopState], LoopState] | None = None,
    ) -> T:
        """``compute()`` once per step: a re-run after a restart gets the first value back.

        ``then`` changes the state in the same save, so a counter bumped with
        the snapshot is bumped once.  Values must be plain data (YAML).
        """
        entries = checkpoint.entries(self.state)
        name = f"mem.{key}"
        if name in entries:
            value: T = entries[name]
            return value
        # Through JSON: the first run sees exactly what a re-run loads back.
        value = json.loads(json.dumps(compute()))
        state = then(self.state) if then is not None else self.state
        self.update(checkpoint.with_entries(state, {name: value}))
        return value

    # ---- checklists --------------------------------------------------------
    def plan(self) -> Checklist:
        return self._checked(Checklist.load(self.sprint.plan, DocKind.PLAN))

    def tests(self) -> Checklist:
        return self._checked(Checklist.load(self.sprint.beta_plan, DocKind.TEST_PLAN))

    def values(self) -> Checklist:
        return self._checked(Checklist.load(self.sprint.value_checklist, DocKind.VALUES))

    def edit_plan(self, change: Callable[[Checklist], Checklist]) -> Checklist:
        path, lock = self.sprint.plan, self.sprint.files_lock
        return self._checked(edit(path, DocKind.PLAN, lock, self._marked(change)))

    def edit_tests(self, change: Callable[[Checklist], Checklist]) -> Checklist:
        path, lock = self.sprint.beta_plan, self.sprint.files_lock
        return self._checked(edit(path, DocKind.TEST_PLAN, lock, self._marked(change)))

    def _marked(self, change: Callable[[Checklist], Checklist]) -> Callable[[Checklist], Checklist]:
        """``change``, checking the file as read first and remembering the marks it writes."""

        def apply(current: Checklist) -> Checklist:
            self._lost_marks(current)
            return self._marks.wrote(current, change(current))

        return apply

    def _lost_marks(self, checklist: Checklist) -> None:
        shown = self.sprint.relative(checklist.path) if checklist.path else "<text>"
        for line, message in self._marks.lost(checklist):
            self.note(f"warning: {shown}:{line}: {message}", mark_lost=True)

    def _checked(self, checklist: Checklist) -> Checklist:
        """Note each of the checklist's warnings the first time this run sees it."""
        self._lost_marks(checklist)
        if checklist.has_warnings and self._last_checked.get(checklist.kind) is not checklist:
            self._last_checked[checklist.kind] = checklist  # load() hands out unchanged ones again
            for warning in checklist.warnings_relative_to(self.sprint.repo):
                if warning not in self._warned:
                    self._warned.add(warning)
                    self.note(f"warning: {warning}", checklist_warning=True)
        return checklist

    # ---- effects -----------------------------------------------------------
    def ask(
        self,
        prompt: str,
        *,
        role: str | None = None,
        vrc: str | None = None,
        task_id: str | None = None,
        test_id: str | None = None,
        attempt: int | None = None,
        evidence_file: Path | None = None,
        env: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> AgentResult:
        """Render ``prompt`` with the sprint's context and run it through the agent.

        ``evidence_file`` (relative to the repo) becomes the agent's
        ``LOOPD_EVIDENCE_FILE``, for wrappers that read the record itself;
        ``env`` adds variables to this call's environment.

        Budgets are checked first; the call's count and cost are added to the
        state afterwards, in the same save that checkpoints the call: the
        step re-run after a restart gets this result back instead of asking
        again.  A broken template stops the loop (not the daemon).
        """
        request = AgentRequest(
            role=role or ROLE_FOR_PROMPT.get(prompt, prompt),
            prompt_name=prompt,
            prompt="",
            task_id=task_id,
            test_id=test_id,
            attempt=attempt,
            evidence_file=evidence_file,
            vrc=vrc,
            env=tuple(sorted((env or {}).items())),
        )
        key = f"{checkpoint.ASK}{self._asks}"
        self._asks += 1
        entries = checkpoint.entries(self.state)
        recorded = entries.get(key)
        if isinstance(recorded, Mapping) and checkpoint.matches(recorded, request):
            self.events.append("resumed", step=self.state.step, call=key, prompt=prompt)
            return checkpoint.replayed(recorded, self.sprint.repo)
        self.check_budgets()
        try:
            rendered = render_prompt(
                prompt, self.prompt_context(vrc=vrc, **fields), self.sprint, self.sprint.repo
            )
        except LoopdError as exc:
            raise StopLoop(f"prompt template error: {exc}") from exc
        for warning in set(rendered.warnings) - self._warned:
            self._warned.add(warning)
            self.note(f"warning: {warning}", prompt=prompt)
        with _agent_events_held(self.agents) as held:
            result = self.agents.call(dataclasses.replace(request, prompt=rendered.text))
            spent = self.state.bump("agent_calls").add_cost(result.cost_usd or 0.0)
            # A call that differs from the recorded one: the rest of the record is stale.
            stale = _later_asks(entries, self._asks) if recorded else []
            entry = checkpoint.record(request, result, self.sprint.repo)
            self.update(checkpoint.with_entries(spent, {key: entry}, dropped=stale))
        held.flush()
        return result

    def prompt_context(self, **fields: Any) -> PromptContext:
        limits: Mapping[str, int] = asdict(self.config.limits)
        preamble = self.config.tests.test_runner_preamble
        return PromptContext.for_sprint(self.sprint, limits=limits, preamble=preamble, **fields)

    def commit(self, step: str, message: str, *, once: bool = True) -> str | None:
        """Commit everything changed, as ``loopd(<step>): <message>``, when commits are on.

        ``once``: an intent in the step's checkpoint, keyed by the message, so
        the step re-run after a kill does not commit it again (HEAD moved since
        the intent: it was made).  The loop's end has its own intent and
        passes False.
        """
        if not self.config.git.commit:
            return None
        full = f"loopd({step}): {message}"
        if not once:
            return self._commit(full)
        key = f"{checkpoint.COMMIT}{full}"  # a step commits a message once
        recorded = checkpoint.entries(self.state).get(key)
        head = self.git.head()
        made = isinstance(recorded, Mapping) and (
            recorded.get("done") or recorded.get("head") != head
        )
        if made:
            return head
        intent = {"message": full, "head": head, "done": False}
        self.update(checkpoint.with_entries(self.state, {key: intent}))
        sha = self._commit(full)
        self.update(checkpoint.with_entries(self.state, {key: {**intent, "done": True}}))
        return sha

    def _commit(self, message: str) -> str | None:
        done = self.git.auto_commit(message)
        if done is not None:
            crashpoint.reached("commit")
        return None if done is None else done.sha  # the git seam records the commit event

    def note(self, message: str, **fields: Any) -> None:
        """Tell the user (progress output / daemon log) and record it as an event."""
        self.report(message)
        self.events.append("note", step=self.state.step, message=message, **fields)

    # ---- budgets -----------------------------------------------------------
    def check_budgets(self) -> None:
        """Stop the loop when this run has used up a budget."""
        budgets = self.config.budgets
        used = self.usage()
        calls, cost, elapsed = used.agent_calls, used.cost_usd, used.wall_time
        if budgets.max_agent_calls and calls >= budgets.max_agent_calls:
            raise StopLoop(f"budget: {calls} agent calls reached budgets.max_agent_calls")
        if budgets.max_cost_usd and cost >= budgets.max_cost_usd:
            raise StopLoop(f"budget: ${cost:.2f} spent reached budgets.max_cost_usd")
        if budgets.max_wall_time and elapsed >= budgets.max_wall_time:
            raise StopLoop(f"budget: {elapsed:.0f}s of wall time reached budgets.max_wall_time")


def _later_asks(entries: Mapping[str, Any], index: int) -> list[str]:
    """Checkpointed calls from number ``index`` on."""
    numbers = {k: k.removeprefix(checkpoint.ASK) for k in entries if k.startswith(checkpoint.ASK)}
    return [k for k, n in numbers.items() if n.isdigit() and int(n) >= index]


class _HeldAgentEvents(EventLog):
    """The runner's event log during one call: its ``agent`` line waits for the checkpoint.

    The line is a durable write; before the call's checkpoint, a kill after it
    would leave a call the log says finished and the re-run asks again.
    """

    def __init__(self, log: EventLog) -> None:
        super().__init__(log.path, log._clock)
        self.held: list[tuple[str, dict[str, Any]]] = []

    def append(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        if kind != AGENT_EVENT:
            return super().append(kind, **fields)
        self.held.append((kind, fields))
        return {"type": kind, **fields}

    def flush(self) -> None:
        held, self.held = self.held, []
        for kind, fields in held:
            super().append(kind, **fields)


@contextlib.contextmanager
def _agent_events_held(agents: Agents) -> Iterator[_HeldAgentEvents | _NoHold]:
    """Hold the runner's ``agent`` event lines until the block ends (also when it raises)."""
    log = getattr(agents, "events", None)
    if not isinstance(log, EventLog):
        yield _NoHold()
        return
    held = _HeldAgentEvents(log)
    agents.events = held  # type: ignore[attr-defined]
    try:
        yield held
    except BaseException:
        held.flush()  # a call that raised is not checkpointed: its line goes out now
        raise
    finally:
        agents.events = log  # type: ignore[attr-defined]


class _NoHold:
    def flush(self) -> None:
        return None
