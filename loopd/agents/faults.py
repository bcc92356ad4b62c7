"""Telling an agent that could not work from an agent whose work failed.

Backends only consult this once the call itself failed (a non-zero exit,
Claude's ``is_error``, a Codex ``turn.failed``, a Gemini ``error``), so a
successful run that merely mentions "rate limit" in its answer is never a
fault.  They read the agent's structured result first: its exit status
(Gemini's 41 is an authentication failure), its JSON error fields (Claude's
``api_error_status``, Gemini's ``error.code`` and ``error.type``) and the
HTTP status its error names.  Only then :func:`classify` reads the error
text: first an HTTP status in the forms API clients print it (``API Error:
529``, ``last status: 429``, ``Error code: 401``), then the
exception names of the API clients (``litellm.RateLimitError``), then a
few fixed phrases.  Every pattern is anchored on word boundaries and on the
words around a status, so a compiler's "call of overloaded function", a
``ModuleNotFoundError`` or "401 tests passed" in a work log is never a fault.
"""

from __future__ import annotations

import re

from loopd.agents.model import Fault

# An HTTP status as API clients and agent CLIs print it (Claude's "API Error:
# 529", Codex's "unexpected status 401" and "last status: 429", Gemini's "got
# status: 429", the SDKs' "Error code: 401"), never a bare number nor the
# product's own "status code 500" or "HTTP/1.1 503" in a work log.
_STATUS = re.compile(
    r"(?i)(?:\bAPI Error\b|\b(?:last|unexpected|got) status\b|\bError code\b)\W{0,3}([45]\d\d)\b"
)

# The exception classes of the API clients agents use (Python's openai,
# anthropic and litellm; Node's SDKs print the same names with the module).
_CLIENT_ERROR = re.compile(r"\b(?:litellm|openai|anthropic)(?:\.\w+)*\.(\w+Error|Timeout)\b")
CLIENT_ERRORS: dict[str, Fault] = {
    "AuthenticationError": Fault.NOT_LOGGED_IN,
    "PermissionDeniedError": Fault.NOT_LOGGED_IN,
    "RateLimitError": Fault.RATE_LIMITED,
    "APIConnectionError": Fault.API_UNREACHABLE,
    "APITimeoutError": Fault.API_UNREACHABLE,
    "Timeout": Fault.API_UNREACHABLE,
    "InternalServerError": Fault.API_UNREACHABLE,
    "ServiceUnavailableError": Fault.API_UNREACHABLE,
    "OverloadedError": Fault.OVERLOADED,
}

# First match wins: a usage limit message also says "limit", a refusal as
# root also comes with exit code 1.
PATTERNS: tuple[tuple[Fault, re.Pattern[str]], ...] = (
    (
        Fault.REFUSED_OPTION,
        re.compile(r"\bcannot be used with root/sudo privileges\b", re.I),
    ),
    (
        Fault.USAGE_LIMIT,
        re.compile(
            r"\busage limit\b|\blimit reached\b.*\bresets?\b|\bhit your limit\b|"
            r"\bcredit balance is too low\b|\binsufficient_quota\b|\bquota exceeded\b",
            re.I,
        ),
    ),
    (
        Fault.OVERLOADED,
        # Not the bare word: "call of overloaded 'f(int)'" is a compiler's, not the API's.
        re.compile(r"\boverloaded_error\b", re.I),
    ),
    (
        Fault.RATE_LIMITED,
        # "rate_limit_error" and "Rate limit reached", not test_rate_limit_middleware.
        re.compile(
            r"\brate[ _-]?limit(?:ed|_error)?\b|\btoo many requests\b|\bresource_exhausted\b",
            re.I,
        ),
    ),
    (
        Fault.NOT_LOGGED_IN,
        re.compile(
            r"\binvalid api key\b|\bnot logged in\b|\bplease run /login\b|\bmissing api key\b|"
            r"\bauthentication_error\b|\bcould not resolve authentication\b|"
            r"\boauth token has expired\b|\bplease set an auth method\b",
            re.I,
        ),
    ),
    (
        Fault.API_UNREACHABLE,
        re.compile(
            # Node's error codes are upper case words: "FileNotFoundError" must not match.
            r"(?-i:\b(?:ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN)\b)|"
            r"\bAPI Error\W{0,3}Connection error\b|\bstream disconnected\b",
            re.I,
        ),
    ),
)

HINTS: dict[Fault, str] = {
    Fault.BINARY_MISSING: "install the agent CLI, or set agent.binaries to its path",
    Fault.NOT_LOGGED_IN: "log the agent CLI in (Claude Code: `claude auth login`) "
    "or set its API key (ANTHROPIC_API_KEY)",
    Fault.API_UNREACHABLE: "check the network and the API endpoint (e.g. ANTHROPIC_BASE_URL)",
    Fault.RATE_LIMITED: "wait a few minutes and start again, or lengthen retries.backoff",
    Fault.OVERLOADED: "the API is overloaded: start again in a few minutes, "
    "or raise retries.attempts",
    Fault.USAGE_LIMIT: "the account's usage limit is reached: start again after it resets",
    Fault.TIMEOUT_NO_OUTPUT: "the agent printed nothing before its timeout: run it by hand "
    "to see why, or raise the role's timeout",
    Fault.REFUSED_OPTION: "Claude Code refuses --dangerously-skip-permissions as root: "
    "set agent.skip_permissions to false",
}

DESCRIPTIONS: dict[Fault, str] = {
    Fault.BINARY_MISSING: "the agent binary was not found",
    Fault.NOT_LOGGED_IN: "the agent is not logged in (or its API key is invalid)",
    Fault.API_UNREACHABLE: "the agent could not reach its API",
    Fault.RATE_LIMITED: "the agent was rate limited",
    Fault.OVERLOADED: "the agent's API is overloaded",
    Fault.USAGE_LIMIT: "the agent's usage limit is reached",
    Fault.TIMEOUT_NO_OUTPUT: "the agent timed out without printing anything",
    Fault.REFUSED_OPTION: "the agent refused a command-line option",
}


# The HTTP status an agent's API answered with (Claude's ``api_error_status``)
# is surer than its message: a 429 may say "Request rejected", a 403 "forbidden".
STATUS_FAULTS: tuple[tuple[range, Fault], ...] = (
    (range(401, 402), Fault.NOT_LOGGED_IN),
    (range(403, 404), Fault.NOT_LOGGED_IN),
    (range(429, 430), Fault.RATE_LIMITED),
    (range(529, 530), Fault.OVERLOADED),
    (range(500, 600), Fault.API_UNREACHABLE),
)


# The retry line's words: "agent vrc: overloaded, retry 2/3 in 10 s".
LABELS: dict[Fault, str] = {
    Fault.BINARY_MISSING: "binary not found",
    Fault.NOT_LOGGED_IN: "not logged in",
    Fault.API_UNREACHABLE: "API unreachable or failing",
    Fault.RATE_LIMITED: "rate limited",
    Fault.OVERLOADED: "overloaded",
    Fault.USAGE_LIMIT: "usage limit reached",
    Fault.TIMEOUT_NO_OUTPUT: "no output before its timeout",
    Fault.REFUSED_OPTION: "refused an option",
}


def from_status(status: object) -> Fault | None:
    """The fault an API error status means, if it is one of the known ones."""
    if not isinstance(status, int) or isinstance(status, bool):
        return None
    return next((fault for codes, fault in STATUS_FAULTS if status in codes), None)


def classify(*texts: str) -> Fault | None:
    """The infrastructure fault these error texts describe, if any (see the module doc)."""
    joined = "\n".join(texts)
    for found in _STATUS.finditer(joined):
        fault = from_status(int(found.group(1)))
        if fault is not None:
            return fault
    fault = client_fault(joined)
    if fault is not None:
        return fault
    for fault, pattern in PATTERNS:
        if pattern.search(joined):
            return fault
    return None


def client_fault(text: str) -> Fault | None:
    """The fault an API client's exception name in ``text`` means (``litellm.RateLimitError``)."""
    for found in _CLIENT_ERROR.finditer(text):
        if found.group(1) in CLIENT_ERRORS:
            return CLIENT_ERRORS[found.group(1)]
    return None


def tail(text: str, lines: int = 20) -> str:
    """The last ``lines`` lines: where a CLI prints the error that stopped it."""
    return "\n".join(text.splitlines()[-lines:])
