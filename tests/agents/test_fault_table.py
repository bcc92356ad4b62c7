"""Fault classification over realistic outputs of claude, codex, gemini, aider and a command agent.

Each row is what the CLI prints in the documented shape (Claude's ``--output-format
json`` result, Codex's ``exec --json`` events, Gemini's ``--output-format json``
object, aider's console and a plain command's stderr), read by the backend's
own ``parse``: the structured result decides first (exit status, JSON error
fields, the HTTP status), text patterns only after.  Work failures whose text
merely resembles a fault (tracebacks, compiler errors, test counts) must stay
work failures: retrying them wastes calls, stopping on them blames the network.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from loopd.agents import Fault
from loopd.agents.aider import AiderBackend
from loopd.agents.base import Backend, Parsed
from loopd.agents.claude import ClaudeBackend
from loopd.agents.codex import CodexBackend
from loopd.agents.command import CommandBackend
from loopd.agents.gemini import GeminiBackend
from loopd.proc import Completed

BACKENDS: dict[str, Backend] = {
    "claude": ClaudeBackend(),
    "codex": CodexBackend(),
    "gemini": GeminiBackend(),
    "aider": AiderBackend(),
    "command": CommandBackend(words=("my-agent",)),
}
WORK = None  # a work failure (or success): not an infrastructure fault

# Product output a failed call may carry, none of it the agent's infrastructure.
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/repo/app/main.py", line 3, in <module>\n'
    "    import requests\n"
    "ModuleNotFoundError: No module named 'requests'"
)
MISSING_FILE = "FileNotFoundError: [Errno 2] No such file or directory: 'notes.md'"
COMPILER = (
    "src/calc.cpp:12:14: error: call of overloaded 'max(int&, long int&)' is ambiguous\n"
    "   12 |     return max(a, b);\n"
    "make: *** [Makefile:7: calc] Error 1"
)
TEST_COUNTS = "===== 401 tests passed, 3 failed in 12.04s =====\nstatus code 503 from /health"
PRODUCT_ERRORS = (
    "FAILED tests/test_api.py::test_rate_limiter_allows_burst - assert 429 == 200\n"
    "FAILED tests/test_auth.py::test_login - app.errors.AuthenticationError: bad password\n"
    'GET /api/orders HTTP/1.1" 500 Internal Server Error\n'
    "AxiosError: Request failed with status code 503"
)


def claude(is_error: bool, result: str, **fields: Any) -> str:
    document = {
        "type": "result",
        "subtype": fields.pop("subtype", "success"),
        "is_error": is_error,
        "duration_ms": 2140,
        "num_turns": 1,
        "result": result,
        "session_id": "4b5e2c1a-6f1e-4c3a-9d55-0a3f1a2b7c9d",
        "total_cost_usd": 0,
        **fields,
    }
    return json.dumps(document)


def codex(*events: dict[str, Any]) -> str:
    started = [{"type": "thread.started", "thread_id": "0199a213-81c0-7800-8aa1-bbab2a035a53"}]
    return "\n".join(json.dumps(e) for e in [*started, {"type": "turn.started"}, *events])


def codex_failed(message: str) -> str:
    return codex(
        {"type": "error", "message": message},
        {"type": "turn.failed", "error": {"message": message}},
    )


def gemini_error(kind: str, message: str, code: int) -> str:
    return json.dumps({"error": {"type": kind, "message": message, "code": code}}, indent=2)


# (backend, exit status, stdout, stderr, the fault expected)
ROWS: dict[str, tuple[str, int, str, str, Fault | None]] = {
    # --- claude -p --output-format json ---------------------------------------------------
    "claude not logged in": (
        "claude",
        1,
        claude(True, "Invalid API key · Please run /login"),
        "",
        Fault.NOT_LOGGED_IN,
    ),
    "claude 429 status wins over its words": (
        "claude",
        1,
        claude(True, "Request rejected", api_error_status=429),
        "",
        Fault.RATE_LIMITED,
    ),
    "claude overloaded": (
        "claude",
        1,
        claude(
            True,
            'API Error: 529 {"type":"error","error":{"type":"overloaded_error",'
            '"message":"Overloaded"}}',
            api_error_status=529,
        ),
        "",
        Fault.OVERLOADED,
    ),
    "claude 500 by its text": (
        "claude",
        1,
        claude(True, "API Error: 500 Internal server error"),
        "",
        Fault.API_UNREACHABLE,
    ),
    "claude connection error": (
        "claude",
        1,
        claude(True, "API Error: Connection error."),
        "",
        Fault.API_UNREACHABLE,
    ),
    "claude usage limit": (
        "claude",
        1,
        claude(True, "Claude AI usage limit reached|1767225600"),
        "",
        Fault.USAGE_LIMIT,
    ),
    "claude root refusal (no JSON)": (
        "claude",
        1,
        "",
        "--dangerously-skip-permissions cannot be used with root/sudo privileges"
        " for security reasons\n",
        Fault.REFUSED_OPTION,
    ),
    "claude max turns is work": (
        "claude",
        1,
        claude(True, "", subtype="error_max_turns"),
        "",
        WORK,
    ),
    "claude answer quoting a traceback": ("claude", 1, claude(True, TRACEBACK), "", WORK),
    "claude answer quoting a compiler": ("claude", 1, claude(True, COMPILER), "", WORK),
    "claude answer with test counts": ("claude", 1, claude(True, TEST_COUNTS), "", WORK),
    "claude success mentioning a rate limit": (
        "claude",
        0,
        claude(False, "RESULT: PASS\nEVIDENCE: the rate limit returns 429"),
        "",
        WORK,
    ),
    "claude crash with a node traceback": (
        "claude",
        1,
        "",
        f"node:internal/modules/cjs/loader:1228\n{MISSING_FILE}\n",
        WORK,
    ),
    # --- codex exec --json ----------------------------------------------------------------
    "codex 401": (
        "codex",
        1,
        codex_failed("unexpected status 401 Unauthorized: Missing bearer authentication in header"),
        "",
        Fault.NOT_LOGGED_IN,
    ),
    "codex retries exhausted on 429": (
        "codex",
        1,
        codex_failed("exceeded retry limit, last status: 429 Too Many Requests"),
        "",
        Fault.RATE_LIMITED,
    ),
    "codex stream disconnected": (
        "codex",
        1,
        codex_failed("stream disconnected before completion: error sending request for url"),
        "",
        Fault.API_UNREACHABLE,
    ),
    "codex usage limit": (
        "codex",
        1,
        codex_failed("You've hit your usage limit. Upgrade to Pro or try again in 2 hours."),
        "",
        Fault.USAGE_LIMIT,
    ),
    "codex failed turn quoting a compiler": ("codex", 1, codex_failed(COMPILER), "", WORK),
    "codex failed turn quoting test counts": ("codex", 1, codex_failed(TEST_COUNTS), "", WORK),
    "codex success whose command output failed": (
        "codex",
        0,
        codex(
            {
                "type": "item.completed",
                "item": {
                    "type": "command_execution",
                    "aggregated_output": TRACEBACK,
                    "exit_code": 1,
                },
            },
            {"type": "item.completed", "item": {"type": "agent_message", "text": "RESULT: FAIL"}},
            {"type": "turn.completed", "usage": {"input_tokens": 2100, "output_tokens": 120}},
        ),
        "",
        WORK,
    ),
    # --- gemini -p --output-format json ---------------------------------------------------
    "gemini auth by its exit status": (
        "gemini",
        41,
        gemini_error(
            "FatalAuthenticationError",
            "Please set an Auth method in your /root/.gemini/settings.json"
            " or specify GEMINI_API_KEY",
            41,
        ),
        "",
        Fault.NOT_LOGGED_IN,
    ),
    "gemini 429 by its error code": (
        "gemini",
        1,
        gemini_error("Error", "[API Error: Resource has been exhausted (e.g. check quota).]", 429),
        "",
        Fault.RATE_LIMITED,
    ),
    "gemini 503 by its error code": (
        "gemini",
        1,
        gemini_error("Error", "The model is overloaded. Please try again later.", 503),
        "",
        Fault.API_UNREACHABLE,
    ),
    "gemini turn limit is work": (
        "gemini",
        53,
        gemini_error("FatalTurnLimitedError", "Reached max session turns for this session.", 53),
        "",
        WORK,
    ),
    "gemini error quoting a missing module": (
        "gemini",
        1,
        gemini_error("Error", TRACEBACK, 1),
        "",
        WORK,
    ),
    "gemini success": (
        "gemini",
        0,
        json.dumps({"response": TEST_COUNTS, "stats": {}, "session_id": "s"}),
        "",
        WORK,
    ),
    # --- aider (console output on stdout) -------------------------------------------------
    "aider gave up on a bad key": (
        "aider",
        0,
        "Aider v0.86.1\nModel: claude-sonnet-4 with diff edit format\n"
        'litellm.AuthenticationError: AnthropicException - {"type":"error","error":'
        '{"type":"authentication_error","message":"invalid x-api-key"}}\n'
        "The API provider is not able to authenticate you. Check your API key.\n",
        "",
        Fault.NOT_LOGGED_IN,
    ),
    "aider recovered from a rate limit": (
        "aider",
        0,
        "litellm.RateLimitError: AnthropicException - rate_limit_error\n"
        "The API provider has rate limited you. Try again later or check your quotas.\n"
        "Retrying in 0.2 seconds...\nI fixed the total.\n\napp/cart.py\n"
        "Applied edit to app/cart.py\nCommit 3f2a1b9 fix: cart total\n"
        "Tokens: 4.2k sent, 310 received. Cost: $0.02 message, $0.02 session.\n",
        "",
        WORK,
    ),
    "aider connection refused on stderr": (
        "aider",
        1,
        "",
        "litellm.APIConnectionError: APIConnectionError: OpenAIException - Connection error.\n",
        Fault.API_UNREACHABLE,
    ),
    "aider crashing on a missing module": ("aider", 1, "", TRACEBACK, WORK),
    "aider ran the product's failing tests": ("aider", 0, PRODUCT_ERRORS, "", WORK),
    # --- a command agent: plain text -------------------------------------------------------
    "command dns failure": (
        "command",
        1,
        "",
        "Error: getaddrinfo ENOTFOUND api.anthropic.com\n",
        Fault.API_UNREACHABLE,
    ),
    "command openai sdk 401": (
        "command",
        1,
        "",
        "openai.AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect API key'}}",
        Fault.NOT_LOGGED_IN,
    ),
    "command compiler error": ("command", 1, "", COMPILER, WORK),
    "command missing file": ("command", 1, "", MISSING_FILE, WORK),
    "command module not found": ("command", 1, "", TRACEBACK, WORK),
    "command test counts and a product 503": ("command", 1, "", TEST_COUNTS, WORK),
    "command product errors": ("command", 1, "", PRODUCT_ERRORS, WORK),
}


def parse(backend: str, code: int, stdout: str, stderr: str) -> Parsed:
    completed = Completed(("agent",), code, stdout, stderr, duration=1.0)
    return BACKENDS[backend].parse(completed)


@pytest.mark.parametrize("row", list(ROWS))
def test_each_output_is_classified_by_its_structure_first(row: str) -> None:
    backend, code, stdout, stderr, expected = ROWS[row]

    parsed = parse(backend, code, stdout, stderr)

    assert parsed.fault is expected
    if expected is not None:
        assert not parsed.ok


def test_every_backend_has_rows_that_must_not_match() -> None:
    for backend in BACKENDS:
        assert any(r[0] == backend and r[4] is WORK for r in ROWS.values()), backend
        assert any(r[0] == backend and r[4] is not WORK for r in ROWS.values()), backend
