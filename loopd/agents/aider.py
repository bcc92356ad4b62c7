"""Aider: ``aider --message-file <prompt> --yes-always``, plain-text output.

Aider reads its instructions from a file rather than stdin, so it gets the
prompt file the runner saved in the run directory (the prompt is on its stdin
too, as the agent contract promises every backend).

Aider has no login of its own (its keys belong to the model provider) and no
offline probe of them, so before a loop only its binary is checked.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from loopd.agents import faults
from loopd.agents.base import CliBackend, Invocation, Parsed, parse_plain
from loopd.agents.model import AgentRequest
from loopd.proc import Completed

# Aider prints an API error (``litellm.AuthenticationError: ...`` and its own
# explanation) on stdout and may still exit 0; when it recovered, its answer
# and token report follow, so only the last lines tell that it gave up.
GIVEN_UP_LINES = 4


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
        """Exit code 0 is success, unless aider's last words are an API client's error."""
        parsed = parse_plain(completed)
        if parsed.fault is not None:
            return parsed
        given_up = faults.client_fault(faults.tail(completed.stdout, GIVEN_UP_LINES))
        if given_up is None:
            return parsed
        return dataclasses.replace(parsed, ok=False, fault=given_up)
