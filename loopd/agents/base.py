"""What every backend provides: an invocation for a request, and a reading of its output."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from loopd.agents import faults, readiness
from loopd.agents.model import AgentRequest, Fault
from loopd.agents.readiness import Readiness
from loopd.proc import Completed


@dataclass(frozen=True)
class Invocation:
    """The command line of one call (its stdin is always the saved prompt)."""

    argv: tuple[str, ...]


@dataclass(frozen=True)
class Parsed:
    """A backend's reading of a finished call."""

    ok: bool
    text: str
    cost_usd: float | None = None
    session_id: str | None = None
    num_turns: int | None = None
    permission_denials: tuple[str, ...] = ()
    fault: Fault | None = None


class Backend(Protocol):
    """An agent CLI: how to call it and how to read what it printed."""

    @property
    def name(self) -> str:
        """The backend's name, as in agent.backend."""
        ...

    @property
    def buffers_output(self) -> bool:
        """Whether it prints nothing until it finishes (one JSON document at the end).

        Then silence at a timeout says nothing about the infrastructure: the
        agent may have been working all along.
        """
        ...

    def invocation(self, request: AgentRequest, prompt_file: Path) -> Invocation:
        """The command line for ``request``; ``prompt_file`` holds the saved prompt."""
        ...

    def parse(self, completed: Completed) -> Parsed:
        """Success, final text, cost and any infrastructure fault of a finished call."""
        ...

    def readiness(self, env: Mapping[str, str], cwd: Path) -> Readiness:
        """Whether it can run at all (installed, logged in), probed offline in about a second."""
        ...


@dataclass(frozen=True)
class CliBackend:
    """The settings every agent CLI backend takes from the config."""

    name: ClassVar[str] = "cli"
    buffers_output: ClassVar[bool] = False
    binary: str = ""  # empty: the backend's own name, looked up on PATH
    extra_args: tuple[str, ...] = ()
    skip_permissions: bool = False

    @property
    def executable(self) -> str:
        return self.binary or self.name

    @property
    def install_hint(self) -> str:
        return f"install {self.name}, or set agent.binaries.{self.name} to its path"

    def readiness(self, env: Mapping[str, str], cwd: Path) -> Readiness:
        """The binary runs ``--version``.  A CLI with no offline login probe
        (gemini, aider) gets no further check: a login fault on its first call
        stops the loop at once instead (it is never retried)."""
        return readiness.version(self.executable, env, cwd, self.install_hint)


def parse_plain(completed: Completed) -> Parsed:
    """A plain-text agent: exit code 0 is success, stdout is the answer.

    On failure only the tail of stderr is classified: a plain agent's stdout
    is its work (test logs and the like), which may well mention a refused
    connection without the agent itself being unable to run.
    """
    if completed.returncode == 0:
        return Parsed(ok=True, text=completed.stdout)
    fault = faults.classify(faults.tail(completed.stderr))
    return Parsed(ok=False, text=completed.stdout, fault=fault)


def json_lines(text: str) -> Iterator[dict[str, Any]]:
    """Each line of ``text`` that is a JSON object; other lines are skipped."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("{"):
            continue
        try:
            value = json.loads(stripped)
        except ValueError:
            continue
        if isinstance(value, dict):
            yield value


def json_document(text: str) -> dict[str, Any] | None:
    """``text`` as one JSON object (possibly pretty-printed), else its last JSON line."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    found = list(json_lines(text))
    return found[-1] if found else None


def optional_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def optional_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
