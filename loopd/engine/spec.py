"""phases/loop.yaml: the loop's states and transitions, validated on load.

The YAML is the single description of the loop; this module only checks it
(every destination exists, every step module exists, the final state has no
way out) and turns it into frozen dataclasses.  Errors name the file and line.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from loopd import fsio
from loopd.errors import LoopdError
from loopd.resources import data_dir
from loopd.state import step_line

SPEC_VERSION = 1
STEPS_PACKAGE = "loopd.engine.steps"


@dataclass(frozen=True)
class StateSpec:
    """One state: the step it runs, that step's parameters, and where each outcome leads."""

    name: str
    step: str
    params: Mapping[str, Any]
    on: Mapping[str, str]
    doc: str
    line: int
    phase: str = ""  # the stage of the sprint it belongs to (status and progress show it)


@dataclass(frozen=True)
class LoopSpec:
    path: Path
    initial: str
    final: str
    states: Mapping[str, StateSpec]
    on_start: tuple[str, ...] = ()

    def outcomes(self, state: str) -> frozenset[str]:
        return frozenset(self.states[state].on)


def default_path() -> Path:
    return data_dir("phases") / "loop.yaml"


def load_spec(path: Path | None = None) -> LoopSpec:
    """Read and check the loop description (the packaged one by default)."""
    path = path or default_path()
    text = fsio.read_text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise LoopdError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", path=path, line=line
        ) from None
    return _Reader(path).spec(root)


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.destinations: list[tuple[str, str, yaml.Node]] = []

    def fail(self, node: yaml.Node | None, message: str) -> LoopdError:
        line = node.start_mark.line + 1 if node is not None else None
        return LoopdError(message, path=self.path, line=line)

    def mapping(self, node: yaml.Node | None, what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        return {self.scalar(k, "a key"): v for k, v in node.value}

    def scalar(self, node: yaml.Node | None, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, f"{what} must be a non-empty string")
        return str(node.value)

    def spec(self, root: yaml.Node | None) -> LoopSpec:
        top = self.mapping(root, "the loop description")
        version = yaml.safe_load(yaml.serialize(top["version"])) if "version" in top else None
        if version != SPEC_VERSION:
            raise self.fail(top.get("version", root), f"version must be {SPEC_VERSION}")
        states = {
            name: self.state(name, node)
            for name, node in self.mapping(top.get("states"), "states").items()
        }
        initial = self.scalar(top.get("initial"), "initial")
        final = self.scalar(top.get("final"), "final")
        for label, name in (("initial", initial), ("final", final)):
            if name not in states:
                raise self.fail(top[label], f"{label} state {name!r} is not declared")
        if states[final].on:
            raise self.fail(top["final"], f"final state {final!r} must have no transitions")
        self.check_destinations(states)
        on_start = self.state_names(top.get("on_start"), states)
        return LoopSpec(self.path, initial, final, MappingProxyType(states), on_start)

    def state_names(
        self, node: yaml.Node | None, states: Mapping[str, StateSpec]
    ) -> tuple[str, ...]:
        if node is None:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "on_start must be a list of state names")
        names = tuple(self.scalar(item, "a state name") for item in node.value)
        for item, name in zip(node.value, names, strict=True):
            if name not in states:
                raise self.fail(item, f"on_start: {name!r} is not a declared state")
        return names

    def state(self, name: str, node: yaml.Node) -> StateSpec:
        fields = self.mapping(node, f"state {name!r}") if not _is_null(node) else {}
        unknown = set(fields) - {"step", "with", "doc", "on", "phase"}
        if unknown:
            raise self.fail(node, f"state {name!r}: unknown keys {sorted(unknown)}")
        step = self.scalar(fields["step"], "step") if "step" in fields else name
        if importlib.util.find_spec(f"{STEPS_PACKAGE}.{step}") is None:
            raise self.fail(fields.get("step", node), f"state {name!r}: no step module {step!r}")
        params = yaml.safe_load(yaml.serialize(fields["with"])) if "with" in fields else {}
        on_nodes = self.mapping(fields["on"], f"state {name!r}: on") if "on" in fields else {}
        on = {outcome: self.scalar(dest, "a destination") for outcome, dest in on_nodes.items()}
        self.destinations += [(name, outcome, dest) for outcome, dest in on_nodes.items()]
        doc = " ".join(self.scalar(fields["doc"], "doc").split()) if "doc" in fields else ""
        line = node.start_mark.line + 1
        phase = self.scalar(fields["phase"], "phase") if "phase" in fields else name
        return StateSpec(
            name, step, MappingProxyType(params), MappingProxyType(on), doc, line, phase
        )

    def check_destinations(self, states: Mapping[str, StateSpec]) -> None:
        for name, outcome, node in self.destinations:
            if node.value not in states:
                raise self.fail(
                    node,
                    f"state {name!r}: outcome {outcome!r} goes to unknown state {node.value!r}",
                )


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def resume_step(spec: LoopSpec, step: str | None, state_file: Path) -> str:
    """The step a loop in state ``step`` resumes in: that step, or the first one for none.

    A step this loop does not have (a typo, a newer loopd's step) is an error
    naming the state file's line: restarting at the top would silently re-run
    the whole sprint.
    """
    if step is None:
        return spec.initial
    if step not in spec.states:
        raise LoopdError(
            f"unknown step {step!r}: this loop's steps are {', '.join(spec.states)}",
            path=state_file,
            line=step_line(state_file),
            hint="set `step:` to one of them (or `null` to start from the top)",
        )
    return step
