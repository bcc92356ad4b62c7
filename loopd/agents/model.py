"""The agent runner's vocabulary: a request, a result, and the faults that are not the agent's."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from loopd.errors import LoopdError


class Fault(enum.Enum):
    """An infrastructure fault: the agent could not do its work at all.

    Never a test failure nor a lack of progress.  A transient one is retried
    with backoff; once the retries are spent, or at once for a fault waiting
    cannot fix, the loop stops with :class:`InfrastructureError`.
    """

    BINARY_MISSING = "binary_missing"
    NOT_LOGGED_IN = "not_logged_in"
    API_UNREACHABLE = "api_unreachable"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    USAGE_LIMIT = "usage_limit"
    TIMEOUT_NO_OUTPUT = "timeout_no_output"
    REFUSED_OPTION = "refused_option"

    @property
    def retried(self) -> bool:
        """Whether waiting seconds can help.  A missing binary, a missing or invalid
        login and a refused option fail the same way every time; a usage limit
        resets in hours.  Network errors, 5xx, overload and rate limits pass."""
        return self not in _PERMANENT


_PERMANENT = frozenset(
    {Fault.BINARY_MISSING, Fault.NOT_LOGGED_IN, Fault.USAGE_LIMIT, Fault.REFUSED_OPTION}
)


@dataclass(frozen=True)
class AgentRequest:
    """One agent call: which role and prompt, and for which task or test."""

    role: str
    prompt_name: str
    prompt: str
    task_id: str | None = None
    test_id: str | None = None
    attempt: int | None = None
    evidence_file: Path | None = None
    vrc: str | None = None
    timeout: float | None = None  # None: config.timeouts.for_role(role)
    # Variables for this call only, as loop-v2 exported them before it
    # (fix-service's SERVICE_NAME, LOG_FILE, PORT).
    env: tuple[tuple[str, str], ...] = ()

    @property
    def ident(self) -> str:
        """What the call is about, for file names and messages."""
        return self.task_id or self.test_id or self.vrc or self.prompt_name

    def describe(self) -> str:
        """``prompt 'fix' (role fix, test BT-001, attempt 2)`` for messages."""
        parts = [f"role {self.role}"]
        for label, value in (
            ("task", self.task_id),
            ("test", self.test_id),
            ("attempt", self.attempt),
            ("vrc", self.vrc),
        ):
            if value is not None:
                parts.append(f"{label} {value}")
        return f"prompt {self.prompt_name!r} ({', '.join(parts)})"


@dataclass(frozen=True)
class AgentResult:
    """What an agent call produced.  ``ok`` False with ``fault`` None is a work failure."""

    ok: bool
    text: str  # the agent's final message (its result text)
    output: str  # the full stdout
    stderr: str
    returncode: int | None
    timed_out: bool
    duration: float
    cost_usd: float | None
    session_id: str | None
    num_turns: int | None
    permission_denials: tuple[str, ...]
    fault: Fault | None
    prompt_file: Path
    output_file: Path
    attempts: int

    @property
    def meta_file(self) -> Path:
        """The ``.json`` record next to the output file."""
        return self.output_file.with_suffix(".json")


class InfrastructureError(LoopdError):
    """The agent could not run, even after the retries: stop the loop."""

    def __init__(self, message: str, *, fault: Fault, result: AgentResult, hint: str) -> None:
        # The output file is evidence, not where the error is: no "path: " prefix.
        super().__init__(message, hint=hint)
        self.fault = fault
        self.result = result
