"""Telling an agent that could not work from an agent whose work failed.

One table of patterns, matched against the error text an agent CLI printed
(Claude's JSON ``result``, Codex's and Gemini's error messages, stderr).
Backends only consult it once the call itself failed, so a successful run
that merely mentions "rate limit" in its answer is never a fault.
"""

from __future__ import annotations

import re

from loopd.agents.model import Fault

# First match wins: a usage limit message also says "limit", a refusal as
# root also comes with exit code 1.
PATTERNS: tuple[tuple[Fault, re.Pattern[str]], ...] = (
    (
        Fault.REFUSED_OPTION,
        re.compile(r"cannot be used with root/sudo privileges", re.I),
    ),
    (
        Fault.USAGE_LIMIT,
        re.compile(
            r"usage limit|limit reached\b.*\bresets?\b|hit your limit|"
            r"credit balance is too low|insufficient_quota|quota exceeded",
            re.I,
        ),
    ),
    (
        Fault.OVERLOADED,
        # Not the bare word: "call of overloaded 'f(int)'" is a compiler's, not the API's.
        re.compile(r"overloaded_error|(api error|status|code)\W{0,3}529\b", re.I),
    ),
    (
        Fault.RATE_LIMITED,
        re.compile(
            r"rate[ _-]?limit|too many requests|(api error|status|code)\W{0,3}429|"
            r"resource_exhausted",
            re.I,
        ),
    ),
    (
        Fault.NOT_LOGGED_IN,
        re.compile(
            r"invalid api key|not logged in|please run /login|missing api key|"
            r"authentication_error|could not resolve authentication|oauth token has expired|"
            r"AuthenticationError|please set an auth method|(api error|status|code)\W{0,3}401",
            re.I,
        ),
    ),
    (
        Fault.API_UNREACHABLE,
        re.compile(
            # Node's error codes are upper case words: "FileNotFoundError" must not match.
            r"connection error|(?-i:\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN)\b)|"
            r"fetch failed|APIConnectionError|stream disconnected|"
            r"(api error|status|code)\W{0,3}5\d\d\b",
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
    """The infrastructure fault these error texts describe, if any."""
    joined = "\n".join(texts)
    for fault, pattern in PATTERNS:
        if pattern.search(joined):
            return fault
    return None


def tail(text: str, lines: int = 20) -> str:
    """The last ``lines`` lines: where a CLI prints the error that stopped it."""
    return "\n".join(text.splitlines()[-lines:])
