"""Claude Code: ``claude -p --output-format json``, the default backend.

The JSON result is trusted through ``is_error`` alone: a login failure
reports ``subtype: "success"`` with ``is_error: true`` and exit code 1, and a
run that did its work may still exit non-zero.  Without JSON (Claude refusing
``--dangerously-skip-permissions`` as root prints one plain line on stderr and
exits 1) the error text decides.

Before a loop, ``claude auth status`` says offline whether it is logged in
(Claude Code 2.1: JSON with ``loggedIn``, exit 0 logged in, 1 logged out).
``ANTHROPIC_API_KEY`` counts as logged in for ``claude -p`` whatever the
stored login; whether the key is valid only the first call can tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loopd.agents import faults, readiness
from loopd.agents.base import (
    CliBackend,
    Invocation,
    Parsed,
    json_document,
    optional_float,
    optional_int,
    optional_str,
)
from loopd.agents.model import AgentRequest, Fault
from loopd.agents.readiness import Readiness
from loopd.proc import Completed

ALLOWED_TOOLS = "Bash,Read,Edit,Write,Glob,Grep"
SKIP_PERMISSIONS = "--dangerously-skip-permissions"
INSTALL = "npm install -g @anthropic-ai/claude-code (needs Node 22), or set agent.binaries.claude"
LOGIN = "run `claude auth login`, or set ANTHROPIC_API_KEY"


class ClaudeBackend(CliBackend):
    """``claude -p`` with the prompt on stdin."""

    name = "claude"
    buffers_output = True  # --output-format json prints once, at the end

    def invocation(self, request: AgentRequest, prompt_file: Path) -> Invocation:
        """``claude -p --output-format json --allowedTools ...`` plus the configured extras."""
        argv = [self.executable, "-p", "--output-format", "json", "--allowedTools", ALLOWED_TOOLS]
        if self.skip_permissions:
            argv.append(SKIP_PERMISSIONS)
        return Invocation(argv=(*argv, *self.extra_args))

    def parse(self, completed: Completed) -> Parsed:
        """Read the JSON result, or classify the plain error text when there is none."""
        return parse_output(completed)

    @property
    def install_hint(self) -> str:
        return INSTALL

    def readiness(self, env: Mapping[str, str], cwd: Path) -> Readiness:
        """``claude --version``, then ``claude auth status``."""
        found = readiness.version(self.executable, env, cwd, INSTALL)
        if not found.ok:
            return found
        return found.then(login_status(self.executable, env, cwd))


def login_status(binary: str, env: Mapping[str, str], cwd: Path) -> Readiness:
    """Logged in by ``ANTHROPIC_API_KEY`` or by what ``claude auth status`` reports."""
    if env.get("ANTHROPIC_API_KEY"):
        return Readiness(True, "API key from ANTHROPIC_API_KEY")
    where = readiness.locate(binary, env, cwd) or binary
    done = readiness.probe([where, "auth", "status"], env, cwd)
    if done is None:
        return Readiness(True, "login not checked: `claude auth status` did not start")
    document = json_document(done.stdout)
    status = document.get("loggedIn") if document is not None else None
    if status is True and document is not None:
        return Readiness(True, f"logged in ({document.get('authMethod') or 'yes'})")
    if status is False or "not logged in" in done.output.lower():
        return readiness.logged_out("not logged in (claude auth status)", LOGIN)
    # An older CLI without `auth status`: the first call will tell, and is not retried.
    said = readiness.first_line(done.output) or f"exit {done.returncode}"
    return Readiness(True, f"login not checked: `claude auth status` said {said!r}")


def parse_output(completed: Completed) -> Parsed:
    """A Claude-style run: its JSON result if it printed one, else its error text."""
    document = json_document(completed.stdout)
    if document is not None and _is_result(document):
        return parse_result(document)
    fault = faults.classify(faults.tail(completed.stderr), faults.tail(completed.stdout))
    return Parsed(ok=False, text=completed.stdout or completed.stderr, fault=fault)


def _is_result(document: dict[str, Any]) -> bool:
    return document.get("type") == "result" or "is_error" in document


def parse_result(document: dict[str, Any]) -> Parsed:
    """Claude's ``--output-format json`` result object."""
    is_error = document.get("is_error") is True
    text = _result_text(document)
    return Parsed(
        ok=not is_error,
        text=text,
        cost_usd=optional_float(document.get("total_cost_usd")),
        session_id=optional_str(document.get("session_id")),
        num_turns=optional_int(document.get("num_turns")),
        permission_denials=_denials(document.get("permission_denials")),
        fault=_fault(document, text) if is_error else None,
    )


def _fault(document: dict[str, Any], text: str) -> Fault | None:
    return faults.from_status(document.get("api_error_status")) or faults.classify(text)


def _result_text(document: dict[str, Any]) -> str:
    result = document.get("result")
    if isinstance(result, str):
        return result
    errors = document.get("errors")
    if isinstance(errors, list) and errors:
        return "\n".join(str(error) for error in errors)
    return str(document.get("subtype") or "")


def _denials(value: object) -> tuple[str, ...]:
    """``Bash: rm -rf build`` for each tool call the permission rules refused."""
    if not isinstance(value, list):
        return ()
    return tuple(_denial(item) for item in value)


def _denial(item: object) -> str:
    if not isinstance(item, dict):
        return str(item)
    tool = str(item.get("tool_name") or "?")
    tool_input = item.get("tool_input")
    if isinstance(tool_input, dict):
        detail = tool_input.get("command") or tool_input.get("file_path") or tool_input.get("path")
        if detail:
            return f"{tool}: {detail}"
    return tool
