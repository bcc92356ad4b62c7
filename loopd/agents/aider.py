"""Aider: ``aider --message-file <prompt> --yes-always``, plain-text output.

Aider reads its instructions from a file rather than stdin, so it gets the
prompt file the runner saved in the run directory (the prompt is on its stdin
too, as the agent contract promises every backend).

Aider has no login of its own (its keys belong to the model provider) and no
offline probe of them, so before a loop only its binary is checked.
"""

from __future__ import annotations

from pathlib import Path

from loopd.agents.base import CliBackend, Invocation, Parsed, parse_plain
from loopd.agents.model import AgentRequest
from loopd.proc import Completed


class AiderBackend(CliBackend):
    """Aider in one-shot mode."""

    name = "aider"

    def invocation(self, request: AgentRequest, prompt_file: Path) -> Invocation:
        """``aider --message-file <prompt_file> --yes-always [extras]``."""
        argv = (
            self.executable,
            "--message-file",
            str(prompt_file),
            "--yes-always",
            *self.extra_args,
        )
        return Invocation(argv=argv)

    def parse(self, completed: Completed) -> Parsed:
        """Exit code 0 is success; stdout is the answer."""
        return parse_plain(completed)
