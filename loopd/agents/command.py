"""Any agent command: a template from the config, ``{prompt_file}`` filled in.

The template is split like a shell would (``shlex``) but never run through a
shell; ``{prompt_file}`` in any word becomes the saved prompt's path, and the
prompt is on stdin as well.  A wrapper that prints a Claude-style JSON result
is read like Claude; anything else is a plain-text agent.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loopd.agents import claude, readiness
from loopd.agents.base import Invocation, Parsed, json_document, parse_plain
from loopd.agents.model import AgentRequest
from loopd.agents.readiness import Readiness
from loopd.errors import LoopdError
from loopd.proc import Completed

PLACEHOLDER = "{prompt_file}"


@dataclass(frozen=True)
class CommandBackend:
    """A user-supplied agent command."""

    words: tuple[str, ...]
    name: str = "command"
    buffers_output: bool = False

    @classmethod
    def from_template(cls, template: str | None) -> CommandBackend:
        """Split ``template``; a clear error when it is missing or unbalanced."""
        hint = "set agent.command, e.g. 'my-agent --prompt {prompt_file}'"
        if not template or not template.strip():
            raise LoopdError("agent backend 'command' needs agent.command", hint=hint)
        try:
            words = tuple(shlex.split(template))
        except ValueError as exc:
            raise LoopdError(f"agent.command cannot be split: {exc}", hint=hint) from None
        return cls(words=words)

    def invocation(self, request: AgentRequest, prompt_file: Path) -> Invocation:
        """The template's words with ``{prompt_file}`` replaced."""
        argv = tuple(word.replace(PLACEHOLDER, str(prompt_file)) for word in self.words)
        return Invocation(argv=argv)

    def parse(self, completed: Completed) -> Parsed:
        """A Claude-style JSON result if printed, else exit code and plain text."""
        return parse_json_or_plain(completed)

    def readiness(self, env: Mapping[str, str], cwd: Path) -> Readiness:
        """The command's program exists (on the PATH, or relative to the repo root)."""
        program = self.words[0]
        where = readiness.locate(program, env, cwd)
        if where is None:
            return readiness.missing(program, "fix agent.command, or install the program it runs")
        return Readiness(True, f"{where} (agent.command)")


def parse_json_or_plain(completed: Completed) -> Parsed:
    """Claude's reading when stdout holds its JSON result, the plain reading otherwise."""
    document = json_document(completed.stdout)
    if document is not None and document.get("type") == "result":
        return claude.parse_result(document)
    return parse_plain(completed)
