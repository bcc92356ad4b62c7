"""The fake Messages API speaks the wire format the real CLI relies on (no CLI needed here)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.fakes.messages_api import (
    RATE_LIMITED,
    Hang,
    MessagesApi,
    Text,
    ToolUse,
)

TOOLS = [{"name": "Write", "input_schema": {"type": "object"}}]


def post(api: MessagesApi, body: dict[str, Any], path: str = "/v1/messages") -> tuple[int, str]:
    request = urllib.request.Request(
        api.url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sse_events(stream: str) -> list[dict[str, Any]]:
    """The data of each event, checking each ``event:`` name matches its data's type."""
    events = []
    for frame in stream.strip().split("\n\n"):
        name_line, data_line = frame.split("\n")
        event = json.loads(data_line.removeprefix("data: "))
        assert name_line == f"event: {event['type']}"
        events.append(event)
    return events


def agent_body(stream: bool, text: str = "hi") -> dict[str, Any]:
    return {
        "model": "m",
        "stream": stream,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": text}],
    }


def test_streamed_tool_use_turn_sends_input_as_json_delta(messages_api: MessagesApi) -> None:
    messages_api.script([Text("writing"), ToolUse("Write", {"file_path": "/x", "content": "y"})])

    status, body = post(messages_api, agent_body(stream=True))

    events = sse_events(body)
    assert status == 200
    assert [e["type"] for e in events] == [
        "message_start",
        *["content_block_start", "content_block_delta", "content_block_stop"] * 2,
        "message_delta",
        "message_stop",
    ]
    tool_start, tool_delta = events[4], events[5]
    assert tool_start["content_block"]["name"] == "Write"
    assert json.loads(tool_delta["delta"]["partial_json"]) == {"file_path": "/x", "content": "y"}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


def test_non_streaming_request_gets_one_message(messages_api: MessagesApi) -> None:
    messages_api.script([Text("RESULT: PASS")])

    status, body = post(messages_api, agent_body(stream=False))

    message = json.loads(body)
    assert status == 200
    assert message["content"] == [{"type": "text", "text": "RESULT: PASS"}]
    assert message["stop_reason"] == "end_turn"


def test_error_turn_answers_with_anthropic_error_body(messages_api: MessagesApi) -> None:
    messages_api.script(RATE_LIMITED)

    status, body = post(messages_api, agent_body(stream=True))

    assert status == 429
    assert json.loads(body)["error"]["type"] == "rate_limit_error"


def test_exhausted_script_is_a_server_error_not_a_silent_answer(
    messages_api: MessagesApi,
) -> None:
    status, body = post(messages_api, agent_body(stream=True))

    assert status == 500
    assert "no scripted turn left" in body


def test_side_calls_do_not_consume_the_script(messages_api: MessagesApi) -> None:
    messages_api.script([Text("agent turn")])

    side = post(messages_api, {"model": "m", "messages": [{"role": "user", "content": "x"}]})
    tokens = post(messages_api, agent_body(stream=False), "/v1/messages/count_tokens")
    unknown = post(messages_api, {}, "/v1/unknown")
    probe = urllib.request.Request(messages_api.url + "/api/hello", method="HEAD")
    with pytest.raises(urllib.error.HTTPError) as head:
        urllib.request.urlopen(probe, timeout=10)
    turn = post(messages_api, agent_body(stream=False))

    assert head.value.code == 404 and head.value.read() == b""
    assert side[0] == 200
    assert tokens[0] == 200 and json.loads(tokens[1])["input_tokens"] >= 1
    assert unknown[0] == 404
    assert json.loads(turn[1])["content"][0]["text"] == "agent turn"
    assert [r.path for r in messages_api.requests] == [
        "/v1/messages",
        "/v1/messages/count_tokens",
        "/v1/unknown",
        "/api/hello",
        "/v1/messages",
    ]


def test_records_the_whole_prompt(messages_api: MessagesApi) -> None:
    prompt = "p" * 300_000 + "END"
    messages_api.script([Text("ok")])

    post(messages_api, agent_body(stream=False, text=prompt))

    assert prompt in messages_api.agent_turns()[0].text()


def test_hang_stalls_until_the_server_stops() -> None:
    api = MessagesApi().start()
    api.script(Hang())
    outcome: list[object] = []
    client = threading.Thread(target=lambda: outcome.append(_try_post(api)))
    client.start()
    arrived = api.wait_for_agent_turns(1, timeout=10)
    client.join(timeout=0.2)
    stalled = client.is_alive()

    api.stop()
    client.join(timeout=10)

    assert arrived and stalled
    assert not client.is_alive()


def _try_post(api: MessagesApi) -> object:
    try:
        return post(api, agent_body(stream=True))
    except (OSError, urllib.error.URLError) as error:
        return error


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = MessagesApi().url
