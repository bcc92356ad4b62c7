"""OpenAI Codex CLI: ``codex exec --json -`` (the ``-`` reads the prompt from stdin).

Its ``--json`` output is JSONL: ``thread.started`` (the thread id),
``item.completed`` items (the last ``agent_message`` is the answer),
``turn.completed`` (token usage; Codex reports no cost), and ``turn.failed``
or ``error`` events when the run could not finish.

Before a loop, ``codex login status`` says offline whether it is logged in
(exit 0 and "Logged in using ...", exit 1 and "Not logged in");
``CODEX_API_KEY`` (or ``OPENAI_API_KEY``) in the environment counts as logged in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopd.agents import faults, readiness
from loopd.agents.base import CliBackend, Invocation, Parsed, json_lines, optional_str
from loopd.agents.model import AgentRequest
from loopd.agents.readiness import Readiness
from loopd.proc import Completed

# Codex's default sandbox is read-only, which leaves an agent unable to do
# any work; --full-auto is its unattended workspace-write mode.
FULL_AUTO = "--full-auto"
SKIP_PERMISSIONS = "--dangerously-bypass-approvals-and-sandbox"
KEY_VARS = ("CODEX_API_KEY", "OPENAI_API_KEY")
LOGIN = "run `codex login`, or set CODEX_API_KEY"


class CodexBackend(CliBackend):
    """``codex exec --json`` with the prompt on stdin."""

    name = "codex"

    def invocation(self, request: AgentRequest, prompt_file: Path) -> Invocation:
        """``codex exec --json --full-auto [extras] -``."""
        mode = SKIP_PERMISSIONS if self.skip_permissions else FULL_AUTO
        argv = (self.executable, "exec", "--json", mode, *self.extra_args, "-")
        return Invocation(argv=argv)

    def parse(self, completed: Completed) -> Parsed:
        """The last agent message, the thread id, turns, and the errors Codex reported."""
        events = _Events()
        for event in json_lines(completed.stdout):
            events.add(event)
        ok = completed.returncode == 0 and not events.failed
        fault = None
        if not ok:
            fault = faults.classify(*events.errors, faults.tail(completed.stderr))
        text = events.message if ok or not events.errors else "\n".join(events.errors)
        return Parsed(
            ok=ok,
            text=text,
            session_id=events.thread_id,
            num_turns=events.turns or None,
            fault=fault,
        )

    def readiness(self, env: Mapping[str, str], cwd: Path) -> Readiness:
        """``codex --version``, then ``codex login status``."""
        found = readiness.version(self.executable, env, cwd, self.install_hint)
        if not found.ok:
            return found
        return found.then(_login_status(self.executable, env, cwd))


def _login_status(binary: str, env: Mapping[str, str], cwd: Path) -> Readiness:
    key = next((name for name in KEY_VARS if env.get(name)), None)
    if key is not None:
        return Readiness(True, f"API key from {key}")
    where = readiness.locate(binary, env, cwd) or binary
    done = readiness.probe([where, "login", "status"], env, cwd)
    said = readiness.first_line(done.output) if done is not None else ""
    if done is not None and done.ok:
        return Readiness(True, said or "logged in")
    if done is not None and "not logged in" in done.output.lower():
        return readiness.logged_out("not logged in (codex login status)", LOGIN)
    return Readiness(True, f"login not checked: `codex login status` said {said!r}")


@dataclass
class _Events:
    message: str = ""
    thread_id: str | None = None
    turns: int = 0
    failed: bool = False
    errors: list[str] = field(default_factory=list)

    def add(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "thread.started":
            self.thread_id = optional_str(event.get("thread_id"))
        elif kind == "item.completed":
            self._item(event.get("item"))
        elif kind == "turn.completed":
            self.turns += 1
        elif kind in ("turn.failed", "error"):
            self.failed = True
            self.errors.append(_error_message(event))

    def _item(self, item: object) -> None:
        if isinstance(item, dict) and item.get("type") == "agent_message":
            self.message = str(item.get("text") or "")


def _error_message(event: dict[str, Any]) -> str:
    error = event.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(event.get("message") or event.get("type"))
