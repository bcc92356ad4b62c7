"""The one object every step receives: the sprint, its config and state, and the seams.

Steps read and change the world only through it: ``ask`` for an agent call,
``plan``/``tests``/``edit_*`` for the checklists, ``commit`` for git,
``update`` for the state.  ``update`` persists at once, so a ``kill -9``
after it loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from loopd import fsio
from loopd.agents import AgentRequest, AgentResult
from loopd.checklist import Checklist, DocKind, edit
from loopd.clock import Clock
from loopd.config import Config
from loopd.engine.ports import Agents, Git, Services, ServiceSnapshot, TestEngine
from loopd.errors import LoopdError
from loopd.events import EventLog
from loopd.prompting import ROLE_FOR_PROMPT, PromptContext, render
from loopd.sprint import Sprint
from loopd.state import LoopState, save_state


class StopLoop(Exception):
    """Raised by a step or a budget check: end the loop now with ``reason`` (exit 1)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Reporter = Callable[[str], None]


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

    # ---- state -------------------------------------------------------------
    def update(self, state: LoopState) -> LoopState:
        """Make ``state`` current and persist it (LOOP_STATE.md and status.json)."""
        self.state = state.touched(self.clock.now())
        save_state(self.sprint.state_file, self.state, self.sprint.files_lock)
        self.write_status()
        return self.state

    def write_status(self, **extra: Any) -> None:
        """status.json: the snapshot ``loopd status`` and scripts read, rewritten atomically."""
        snapshot = {
            "sprint": self.sprint.name,
            "step": self.state.step,
            "phase": self.state.phase,
            "iteration": self.state.iteration,
            "loop_iteration": self.state.loop_iteration,
            "gates": sorted(self.state.gates),
            "counters": dict(self.state.counters),
            "cost_usd": round(self.state.cost_usd, 6),
            "stop_reason": self.state.stop_reason,
            "updated": self.state.updated.isoformat() if self.state.updated else None,
            "services": [asdict(s) for s in self.services_snapshot.services],
            **extra,
        }
        path = self.sprint.runtime / "status.json"
        fsio.atomic_write(path, json.dumps(snapshot, indent=2) + "\n")

    # ---- checklists --------------------------------------------------------
    def plan(self) -> Checklist:
        return Checklist.load(self.sprint.plan, DocKind.PLAN)

    def tests(self) -> Checklist:
        return Checklist.load(self.sprint.beta_plan, DocKind.TEST_PLAN)

    def values(self) -> Checklist:
        return Checklist.load(self.sprint.value_checklist, DocKind.VALUES)

    def edit_plan(self, change: Callable[[Checklist], Checklist]) -> Checklist:
        return edit(self.sprint.plan, DocKind.PLAN, self.sprint.files_lock, change)

    def edit_tests(self, change: Callable[[Checklist], Checklist]) -> Checklist:
        return edit(self.sprint.beta_plan, DocKind.TEST_PLAN, self.sprint.files_lock, change)

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
        **fields: Any,
    ) -> AgentResult:
        """Render ``prompt`` with the sprint's context and run it through the agent.

        Budgets are checked first; the call's cost and count are added to the
        state afterwards.  A broken template stops the loop (not the daemon).
        """
        self.check_budgets()
        try:
            text = render(
                prompt, self.prompt_context(vrc=vrc, **fields), self.sprint, self.sprint.repo
            )
        except LoopdError as exc:
            raise StopLoop(f"prompt template error: {exc}") from exc
        request = AgentRequest(
            role=role or ROLE_FOR_PROMPT.get(prompt, prompt),
            prompt_name=prompt,
            prompt=text,
            task_id=task_id,
            test_id=test_id,
            attempt=attempt,
            vrc=vrc,
        )
        result = self.agents.call(request)
        spent = self.state.bump("agent_calls").add_cost(result.cost_usd or 0.0)
        self.update(spent)
        return result

    def prompt_context(self, **fields: Any) -> PromptContext:
        limits: Mapping[str, int] = asdict(self.config.limits)
        preamble = self.config.tests.test_runner_preamble
        return PromptContext.for_sprint(self.sprint, limits=limits, preamble=preamble, **fields)

    def commit(self, step: str, message: str) -> str | None:
        """Commit everything changed, as ``loopd(<step>): <message>``, when commits are on."""
        if not self.config.git.commit:
            return None
        done = self.git.auto_commit(f"loopd({step}): {message}")
        return None if done is None else done.sha  # the git seam records the commit event

    def note(self, message: str, **fields: Any) -> None:
        """Tell the user (progress output / daemon log) and record it as an event."""
        self.report(message)
        self.events.append("note", step=self.state.step, message=message, **fields)

    # ---- budgets -----------------------------------------------------------
    def check_budgets(self) -> None:
        budgets = self.config.budgets
        calls = self.state.counter("agent_calls")
        if budgets.max_agent_calls and calls >= budgets.max_agent_calls:
            raise StopLoop(f"budget: {calls} agent calls reached budgets.max_agent_calls")
        if budgets.max_cost_usd and self.state.cost_usd >= budgets.max_cost_usd:
            raise StopLoop(f"budget: ${self.state.cost_usd:.2f} spent reached budgets.max_cost_usd")
        elapsed = self.clock.monotonic() - self.started_monotonic
        if budgets.max_wall_time and elapsed >= budgets.max_wall_time:
            raise StopLoop(f"budget: {elapsed:.0f}s of wall time reached budgets.max_wall_time")
