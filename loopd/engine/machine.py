"""The loop: phases/loop.yaml as a transitions Machine, driven step by step.

The Machine holds the states and transitions exactly as the YAML declares
them (no auto transitions), so an outcome a state does not declare is a bug
caught at once.  Every transition persists the state before the next step
runs (and clears the step's checkpoint), so a loop killed at any point
resumes in the state it was in and re-runs that step, which finds its
finished agent calls in the checkpoint.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from transitions import Machine

from loopd.engine import checkpoint, intents
from loopd.engine.context import Context, StopLoop
from loopd.engine.spec import STEPS_PACKAGE, LoopSpec, resume_step


class StepFunction(Protocol):
    def __call__(self, ctx: Context, /, **params: Any) -> str: ...


def transitions_of(spec: LoopSpec) -> list[dict[str, str]]:
    return [
        {"trigger": outcome, "source": state.name, "dest": dest}
        for state in spec.states.values()
        for outcome, dest in state.on.items()
    ]


def load_step(name: str) -> StepFunction:
    module = importlib.import_module(f"{STEPS_PACKAGE}.{name}")
    step: StepFunction = module.run
    return step


class Loop:
    """The Machine's model: which state the sprint is in, and how to run it."""

    state: str

    def __init__(self, spec: LoopSpec, ctx: Context, on_step: Callable[[str], None]) -> None:
        self.spec = spec
        self.ctx = ctx
        self.on_step = on_step
        resume = resume_step(spec, ctx.state.step, ctx.sprint.state_file)
        # The first step of a run that resumes in it is that step run again.
        self.resuming = resume != spec.initial
        self.machine = Machine(
            model=self,
            states=list(spec.states),
            transitions=transitions_of(spec),
            initial=resume,
            auto_transitions=False,
            after_state_change="_persist",
        )

    def finished(self) -> bool:
        return self.state == self.spec.final

    def run_step(self) -> str:
        """Run the current state's step; return its outcome (a declared trigger)."""
        state = self.spec.states[self.state]
        self.on_step(self.state)
        self.ctx.begin_step(self.state, resumed=self.resuming)
        self.resuming = False
        # What a killed run of this step recorded but may not have finished.
        for key in intents.roll_forward(self.ctx):
            self.ctx.events.append("rolled_forward", step=self.state, intent=key)
        outcome = load_step(state.step)(self.ctx, **state.params)
        if outcome not in state.on:
            raise RuntimeError(f"step {state.step!r} in state {self.state!r} returned {outcome!r}")
        return outcome

    def advance(self) -> None:
        """Run one step and take the transition its outcome names."""
        source = self.state
        outcome = self.run_step()
        self.trigger(outcome)  # persists: the event below records a transition that happened
        self.ctx.events.append("transition", source=source, outcome=outcome, dest=self.state)

    def _persist(self) -> None:
        phase = self.spec.states[self.state].phase
        self.ctx.update(checkpoint.cleared(self.ctx.state).evolve(step=self.state, phase=phase))
        self.ctx.write_status()

    if TYPE_CHECKING:  # added to the model by transitions.Machine

        def trigger(self, name: str) -> bool: ...


def _on_start(spec: LoopSpec, ctx: Context) -> None:
    for name in spec.on_start:
        state = spec.states[name]
        ctx.begin_step()
        load_step(state.step)(ctx, **state.params)


def run(
    spec: LoopSpec,
    ctx: Context,
    on_step: Callable[[str], None],
    between: Callable[[Context], None] | None = None,
) -> Loop:
    """Drive the loop to its final state, or until a step stops it.

    ``between`` runs after every transition, before the next step: where a
    daemon applies what a signal asked for (a config reload) at a clean point.
    """
    ctx.begin_run()
    loop = Loop(spec, ctx, on_step)
    resumed = loop.state != spec.initial
    phase = spec.states[loop.state].phase
    ended = ctx.state.exit_code if loop.finished() else None  # a new pass forgets the last end
    ctx.update(ctx.state.evolve(step=loop.state, phase=phase, stop_reason=None, exit_code=ended))
    ctx.write_status()
    try:
        if resumed and not loop.finished():
            _on_start(spec, ctx)
        while not loop.finished():
            loop.advance()
            if between is not None:
                between(ctx)
    except StopLoop as stop:
        ctx.update(ctx.state.evolve(stop_reason=stop.reason))
        ctx.write_status()
        ctx.events.append("stop", reason=stop.reason, step=loop.state)
    return loop
