"""The replay agent's script: rules matched on the call, each with a list of actions.

The format is described (with an example) in :mod:`loopd.agents.replay`.
Loading validates everything up front into frozen dataclasses; a mistake is a
:class:`LoopdError` naming the script's file and line.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from loopd.errors import LoopdError
from loopd.fsio import read_text

# Condition key -> the environment variable of the agent contract it reads.
CONDITIONS: dict[str, str] = {
    "prompt": "LOOPD_PROMPT",
    "role": "LOOPD_ROLE",
    "task": "LOOPD_TASK_ID",
    "test": "LOOPD_TEST_ID",
    "attempt": "LOOPD_ATTEMPT",
    "vrc": "LOOPD_VRC",
}
CHECKLIST_DOCS = ("plan", "test_plan")
STATUSES = ("done", "blocked", "user", "pending")


class _Map(dict[str, Any]):
    """A YAML mapping that remembers the line it started on."""

    line = 0


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise _Located(f"duplicate key {key!r}", key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


class _Located(Exception):
    """A validation error at a line of the script, before the path is known."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# --- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """Write ``content`` to ``path`` (relative to the repo root), creating directories."""

    verb: ClassVar[str] = "write"
    path: str
    content: str


@dataclass(frozen=True)
class Patch:
    """Replace the first ``old`` in ``path`` by ``new``; fail if ``old`` is absent."""

    verb: ClassVar[str] = "patch"
    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Mark:
    """Set the marker of checklist item ``id`` in the plan or the test plan."""

    verb: ClassVar[str] = "mark"
    id: str
    doc: str = "plan"
    status: str = "done"


@dataclass(frozen=True)
class AppendTask:
    """Append a pending task ``- [ ] **id**: text`` to the plan or the test plan."""

    verb: ClassVar[str] = "append_task"
    id: str
    text: str
    doc: str = "plan"


@dataclass(frozen=True)
class Run:
    """Run a shell command; a non-zero exit ends the agent with that code."""

    verb: ClassVar[str] = "run"
    command: str


@dataclass(frozen=True)
class Print:
    """Print a line (or lines) on stdout."""

    verb: ClassVar[str] = "print"
    text: str


@dataclass(frozen=True)
class Sleep:
    """Sleep, e.g. to outlast a timeout."""

    verb: ClassVar[str] = "sleep"
    seconds: float


@dataclass(frozen=True)
class Exit:
    """End the agent with this exit code."""

    verb: ClassVar[str] = "exit"
    code: int


@dataclass(frozen=True)
class Result:
    """Print a Claude-style JSON result and end (exit 1 when ``is_error``)."""

    verb: ClassVar[str] = "result"
    text: str = ""
    cost: float = 0.0
    is_error: bool = False
    session_id: str = "replay"
    num_turns: int = 1


@dataclass(frozen=True)
class Fail:
    """Print ``message`` on stderr and exit 1."""

    verb: ClassVar[str] = "fail"
    message: str


Action = Write | Patch | Mark | AppendTask | Run | Print | Sleep | Exit | Result | Fail
ACTIONS: dict[str, type[Action]] = {
    cls.verb: cls for cls in (Write, Patch, Mark, AppendTask, Run, Print, Sleep, Exit, Result, Fail)
}
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}
_CHOICES: dict[str, tuple[str, ...]] = {"doc": CHECKLIST_DOCS, "status": STATUSES}


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What the replay agent was asked: the contract's environment and the prompt."""

    env: Mapping[str, str]
    prompt: str

    def value(self, condition: str) -> str:
        return self.env.get(CONDITIONS[condition], "")

    def describe(self) -> str:
        """``prompt=fix role=fix test=BT-001 attempt=2`` (the non-empty ones)."""
        shown = [f"{key}={self.value(key)}" for key in CONDITIONS if self.value(key)]
        return " ".join(shown) or "no LOOPD_* variables"


@dataclass(frozen=True)
class Rule:
    """One rule: conditions on the call, a use limit, and what to do."""

    name: str
    line: int
    when: tuple[tuple[str, str], ...]  # (condition, glob pattern)
    contains: tuple[str, ...]
    times: int | None
    actions: tuple[Action, ...]

    def matches(self, call: Call) -> bool:
        """All conditions hold: globs on the contract's variables, substrings of the prompt."""
        return all(
            fnmatch.fnmatchcase(call.value(key), pattern) for key, pattern in self.when
        ) and (all(text in call.prompt for text in self.contains))


@dataclass(frozen=True)
class Script:
    """A validated replay script."""

    path: Path
    rules: tuple[Rule, ...]


def load_script(path: Path) -> Script:
    """Read and validate the script at ``path``; errors name ``path:line``."""
    try:
        document = yaml.load(read_text(path), Loader=_Loader)  # a SafeLoader
        return Script(path=path, rules=_rules(document))
    except _Located as exc:
        raise LoopdError(exc.message, path=path, line=exc.line) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise LoopdError(f"not valid YAML: {exc.problem}", path=path, line=line) from None


def _rules(document: object) -> tuple[Rule, ...]:
    if not isinstance(document, _Map):
        raise _Located("a replay script is a mapping with a 'rules' list", 1)
    _keys(document, required=("rules",), allowed=("rules",), what="the script")
    rules = document["rules"]
    if not isinstance(rules, list) or not rules:
        raise _Located("'rules' must be a non-empty list of rules", document.line)
    found = tuple(_rule(raw, index, document.line) for index, raw in enumerate(rules, start=1))
    seen: set[str] = set()
    for rule in found:
        # ``times`` counts are kept by name: two rules must not share one.
        if rule.name in seen:
            raise _Located(f"another rule is already named {rule.name!r}", rule.line)
        seen.add(rule.name)
    return found


def _rule(raw: object, index: int, rules_line: int) -> Rule:
    if not isinstance(raw, _Map):
        raise _Located(f"rule {index} must be a mapping with 'when' and 'do'", rules_line)
    _keys(raw, required=("do",), allowed=("name", "when", "times", "do"), what="a rule")
    name = raw.get("name", f"rule {index}")
    if not isinstance(name, str) or not name:
        raise _Located("'name' must be a non-empty string", raw.line)
    when, contains = _conditions(raw.get("when", _Map()), raw.line)
    return Rule(
        name=name,
        line=raw.line,
        when=when,
        contains=contains,
        times=_times(raw.get("times"), raw.line),
        actions=_actions(raw["do"], raw.line),
    )


def _conditions(raw: object, line: int) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    if not isinstance(raw, _Map):
        raise _Located("'when' must be a mapping of conditions", line)
    _keys(raw, required=(), allowed=(*CONDITIONS, "contains"), what="'when'")
    when = []
    for key in CONDITIONS:
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise _Located(f"condition {key!r} must be a string or a number", raw.line)
            when.append((key, str(value)))
    contains = raw.get("contains", [])
    contains = [contains] if isinstance(contains, str) else contains
    if not isinstance(contains, list) or not all(isinstance(t, str) and t for t in contains):
        raise _Located("'contains' must be a string or a list of strings", raw.line)
    return tuple(when), tuple(contains)


def _times(raw: object, line: int) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise _Located(f"'times' must be a whole number >= 1, got {raw!r}", line)
    return raw


def _actions(raw: object, line: int) -> tuple[Action, ...]:
    if not isinstance(raw, list):
        raise _Located("'do' must be a list of actions", line)
    return tuple(_action(item, line) for item in raw)


def _action(raw: object, line: int) -> Action:
    if not isinstance(raw, _Map) or len(raw) != 1:
        verbs = ", ".join(ACTIONS)
        raise _Located(f"each action is a one-key mapping, one of: {verbs}", _line(raw, line))
    ((verb, value),) = raw.items()
    cls = ACTIONS.get(verb)
    if cls is None:
        raise _Located(f"unknown action {verb!r} (known: {', '.join(ACTIONS)})", raw.line)
    fields = dataclasses.fields(cls)
    if not isinstance(value, _Map):
        required = [f.name for f in fields if f.default is dataclasses.MISSING]
        if len(required) != 1:
            raise _Located(f"action {verb!r} takes a mapping of {_names(fields)}", raw.line)
        value = _Map({required[0]: value})
    return _build(cls, value, raw.line)


def _build(cls: type[Action], value: Mapping[str, Any], line: int) -> Action:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    required = [n for n, f in fields.items() if f.default is dataclasses.MISSING]
    _keys(value, required=required, allowed=tuple(fields), what=f"action {cls.verb!r}", line=line)
    for name, item in value.items():
        expected = _TYPES[str(fields[name].type)]
        if (isinstance(item, bool) and bool not in expected) or not isinstance(item, expected):
            raise _Located(f"{cls.verb}.{name} must be {fields[name].type}", line)
        if name in _CHOICES and item not in _CHOICES[name]:
            raise _Located(f"{cls.verb}.{name} must be one of {', '.join(_CHOICES[name])}", line)
    return cls(**value)


def _keys(
    raw: Mapping[str, Any],
    *,
    required: tuple[str, ...] | list[str],
    allowed: tuple[str, ...],
    what: str,
    line: int | None = None,
) -> None:
    at = line or _line(raw, 0)
    unknown = [key for key in raw if key not in allowed]
    if unknown:
        raise _Located(f"unknown key {unknown[0]!r} in {what} (known: {', '.join(allowed)})", at)
    missing = [key for key in required if key not in raw]
    if missing:
        raise _Located(f"{what} needs {missing[0]!r}", at)


def _line(raw: object, default: int) -> int:
    return raw.line if isinstance(raw, _Map) else default


def _names(fields: tuple[dataclasses.Field[Any], ...]) -> str:
    return ", ".join(f.name for f in fields)
