"""A local, scripted Anthropic Messages API for driving the real Claude Code CLI offline.

Point ``ANTHROPIC_BASE_URL`` at :attr:`MessagesApi.url` and the CLI talks to this server
instead of Anthropic. Each ``POST /v1/messages`` that carries tools (the agent loop) consumes
the next scripted turn; side requests the CLI makes on its own (quota probes, title or
summary generation: no tools) get a short text answer without consuming the script. Every
request is recorded, so a failing test can show exactly what the CLI asked for.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Text:
    """A text block the model says."""

    text: str


@dataclass(frozen=True)
class ToolUse:
    """A tool call the model makes; the CLI runs the tool and sends the result back."""

    name: str
    input: Mapping[str, Any]


Block = Text | ToolUse


@dataclass(frozen=True)
class Hang:
    """A turn that never answers (until the server stops)."""


@dataclass(frozen=True)
class ApiError:
    """A turn answered with an HTTP error status and an Anthropic error body."""

    status: int
    type: str
    message: str = "scripted error"

    def body(self) -> JsonObject:
        return {"type": "error", "error": {"type": self.type, "message": self.message}}


Turn = Sequence[Block] | Hang | ApiError

UNAUTHORIZED = ApiError(401, "authentication_error", "invalid x-api-key")
# Anthropic's own wording for a per-minute limit.
RATE_LIMITED = ApiError(
    429,
    "rate_limit_error",
    "Number of request tokens has exceeded your per-minute rate limit; "
    "see the response headers for current usage.",
)
OVERLOADED = ApiError(529, "overloaded_error", "Overloaded")
EXHAUSTED = ApiError(500, "api_error", "messages_api fake: no scripted turn left")


@dataclass(frozen=True)
class Request:
    """One HTTP request the server saw."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: JsonObject | None

    @property
    def is_agent_turn(self) -> bool:
        """Whether this is a turn of the agent loop (it offers tools) rather than a side call."""
        return (
            self.method == "POST"
            and self.path.split("?")[0] == "/v1/messages"
            and bool((self.body or {}).get("tools"))
        )

    def text(self) -> str:
        """Every text the request carries (system prompt and messages), joined."""
        return "\n".join(_texts(self.body or {}))

    def summary(self) -> str:
        body = self.body or {}
        keys = ",".join(sorted(body))
        return f"{self.method} {self.path} model={body.get('model')} keys=[{keys}]"


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)
    elif isinstance(node, dict):
        for key in ("system", "messages", "content", "text"):
            if key in node:
                yield from _texts(node[key])


@dataclass
class MessagesApi:
    """A threaded Messages API server on 127.0.0.1 answering from a script of turns."""

    turns: list[Turn] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _released: threading.Event = field(default_factory=threading.Event)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def script(self, *turns: Turn) -> None:
        """Append ``turns`` to what the next agent requests will get."""
        with self._cond:
            self.turns.extend(turns)

    @property
    def url(self) -> str:
        """The base URL to put in ``ANTHROPIC_BASE_URL``."""
        if self._server is None:
            raise RuntimeError("messages_api fake: server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MessagesApi:
        """Listen on an ephemeral port and serve in a background thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        serve = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        serve.start()
        return self

    def stop(self) -> None:
        """Release hung turns and shut the server down."""
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def agent_turns(self) -> list[Request]:
        """The recorded requests that consumed (or tried to consume) a scripted turn."""
        return [r for r in self.requests if r.is_agent_turn]

    def wait_for_agent_turns(self, count: int, timeout: float) -> bool:
        """Block until ``count`` agent turns have arrived; False if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.agent_turns()) >= count, timeout)

    def log(self) -> str:
        """One line per request, for assertion messages."""
        return "\n".join(r.summary() for r in self.requests) or "(no request)"

    def _record(self, request: Request) -> None:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()

    def _next_turn(self) -> Turn:
        with self._cond:
            return self.turns.pop(0) if self.turns else EXHAUSTED

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"


def _handler_for(api: MessagesApi) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.api = api
    return Handler


class _Handler(BaseHTTPRequestHandler):
    api: MessagesApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are recorded on the api object; keep stderr quiet."""

    def do_GET(self) -> None:
        self._record(None)
        self._send_json(404, _not_found(self.path))

    def do_HEAD(self) -> None:
        # The CLI's connectivity probe (HEAD /api/hello) when non-essential traffic is on.
        self._record(None)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = _parse(raw)
        request = self._record(body)
        path = self.path.split("?")[0]
        if path == "/v1/messages/count_tokens":
            self._send_json(200, {"input_tokens": max(1, len(request.text()) // 4)})
        elif path != "/v1/messages":
            self._send_json(404, _not_found(self.path))
        elif not request.is_agent_turn:
            self._answer(body or {}, [Text("ok")])
        else:
            self._play(body or {}, self.api._next_turn())

    def _record(self, body: JsonObject | None) -> Request:
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        self.api._record(request)
        return request

    def _play(self, body: JsonObject, turn: Turn) -> None:
        if isinstance(turn, Hang):
            self.api._released.wait()
            self.close_connection = True
        elif isinstance(turn, ApiError):
            self._send_json(turn.status, turn.body())
        else:
            self._answer(body, turn)

    def _answer(self, body: JsonObject, blocks: Sequence[Block]) -> None:
        message = _message(self.api, body, blocks)
        if body.get("stream"):
            self._stream(message)
        else:
            self._send_json(200, message)

    def _send_json(self, status: int, payload: JsonObject) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", self.api._next_id("req"))
        if status == 429:
            self.send_header("retry-after", "0")
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, message: JsonObject) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("request-id", self.api._next_id("req"))
        self.send_header("Connection", "close")
        self.end_headers()
        for event in _events(message):
            frame = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
            self.wfile.write(frame.encode())
            self.wfile.flush()
        self.close_connection = True


def _parse(raw: bytes) -> JsonObject | None:
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        return {"_unparsed": raw.decode("utf-8", errors="replace")}
    return parsed if isinstance(parsed, dict) else {"_json": parsed}


def _not_found(path: str) -> JsonObject:
    return ApiError(404, "not_found_error", f"messages_api fake: no route {path}").body()


def _message(api: MessagesApi, body: JsonObject, blocks: Sequence[Block]) -> JsonObject:
    content = [_content_block(api, block) for block in blocks]
    stop = "tool_use" if any(isinstance(b, ToolUse) for b in blocks) else "end_turn"
    return {
        "id": api._next_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "claude-fake"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


def _content_block(api: MessagesApi, block: Block) -> JsonObject:
    if isinstance(block, Text):
        return {"type": "text", "text": block.text}
    return {
        "type": "tool_use",
        "id": api._next_id("toolu"),
        "name": block.name,
        "input": dict(block.input),
    }


def _events(message: JsonObject) -> Iterator[JsonObject]:
    """The SSE events of a streamed ``message``, in the order the real API sends them."""
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {**message["usage"], "output_tokens": 1},
    }
    yield {"type": "message_start", "message": start}
    for index, block in enumerate(message["content"]):
        yield from _block_events(index, block)
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
        "usage": {"output_tokens": message["usage"]["output_tokens"]},
    }
    yield {"type": "message_stop"}


def _block_events(index: int, block: JsonObject) -> Iterator[JsonObject]:
    if block["type"] == "text":
        yield {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": "text", "text": ""},
        }
        delta = {"type": "text_delta", "text": block["text"]}
    else:
        empty = {**block, "input": {}}
        yield {"type": "content_block_start", "index": index, "content_block": empty}
        delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
    yield {"type": "content_block_delta", "index": index, "delta": delta}
    yield {"type": "content_block_stop", "index": index}


@pytest.fixture
def messages_api() -> Iterator[MessagesApi]:
    """A started :class:`MessagesApi`; what it saw is printed (and shown on failure) at teardown."""
    api = MessagesApi().start()
    try:
        yield api
    finally:
        api.stop()
        print(f"messages_api saw:\n{api.log()}")
