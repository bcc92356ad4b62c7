"""Google Gemini CLI: ``gemini -p ... --output-format json``.

Gemini appends the ``-p`` text to whatever arrives on stdin, so the prompt
goes on stdin (no argv size limit) and ``-p`` carries one line telling it to
follow that.  Its JSON is one object: ``response``, ``stats``, ``session_id``
and, when the request failed, ``error: {type, message, code}``: ``code`` is
the exit status for Gemini's own fatal errors (41: authentication) and the
HTTP status for an API error (429 ...); both are read before the message.

Gemini CLI has no command that reports its login offline, so before a loop
only its binary is checked (``--version``); a login fault on the first call
("Please set an Auth method ...") stops the loop at once, without retries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loopd.agents import faults
from loopd.agents.base import (
    CliBackend,
    Invocation,
    Parsed,
    json_document,
    optional_int,
    optional_str,
)
from loopd.agents.model import AgentRequest, Fault
from loopd.proc import Completed

FOLLOW = "Carry out the instructions above."
# Gemini CLI's exit status (and JSON ``error.code``) for a failed login.
EXIT_AUTHENTICATION = 41
AUTHENTICATION_TYPE = "FatalAuthenticationError"
SKIP_PERMISSIONS = "--yolo"


class GeminiBackend(CliBackend):
    """``gemini -p`` in headless JSON mode with the prompt on stdin."""

    name = "gemini"
    buffers_output = True  # --output-format json prints once, at the end

    def invocation(self, request: AgentRequest, prompt_file: Path) -> Invocation:
        """``gemini -p <follow> --output-format json [--yolo] [extras]``."""
        argv = [self.executable, "-p", FOLLOW, "--output-format", "json"]
        if self.skip_permissions:
            argv.append(SKIP_PERMISSIONS)
        return Invocation(argv=(*argv, *self.extra_args))

    def parse(self, completed: Completed) -> Parsed:
        """``response`` on success; ``error.message`` (classified) on failure."""
        document = json_document(completed.stdout) or {}
        error = document.get("error")
        message = ""
        if isinstance(error, dict):
            message = str(error.get("message") or error.get("type") or "error")
        ok = completed.returncode == 0 and not message and "response" in document
        fault = None
        if not ok:
            fault = _structured_fault(completed.returncode, error) or faults.classify(
                message, faults.tail(completed.stderr)
            )
        text = document.get("response")
        return Parsed(
            ok=ok,
            text=text if isinstance(text, str) else message or completed.stdout,
            session_id=optional_str(document.get("session_id")),
            fault=fault,
        )


def _structured_fault(returncode: int, error: Any) -> Fault | None:
    """The fault Gemini's exit status or JSON ``error`` (its type, its HTTP code) names."""
    fields = error if isinstance(error, dict) else {}
    code = optional_int(fields.get("code"))
    if EXIT_AUTHENTICATION in (returncode, code) or fields.get("type") == AUTHENTICATION_TYPE:
        return Fault.NOT_LOGGED_IN
    return faults.from_status(code)
