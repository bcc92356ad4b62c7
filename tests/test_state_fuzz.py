"""Property tests: any state round-trips; any text parses or fails with a LoopdError."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopd.errors import LoopdError
from loopd.state import KNOWN_GATES, LoopState, parse_state, render_state
from loopd.state_legacy import tells_state

FIELDS = {f.name for f in dataclasses.fields(LoopState)}
PATH = Path("docs/sprints/s/LOOP_STATE.md")
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

counts = st.integers(min_value=0, max_value=2**63)
offsets = st.integers(min_value=-1439, max_value=1439).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)
times = st.none() | st.datetimes(timezones=st.none() | offsets)
json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def states(draw: st.DrawFn) -> LoopState:
    """Arbitrary states: unicode everywhere, maps up to a few dozen entries."""
    text, maybe = st.text(), st.none() | st.text()
    return LoopState(
        sprint=draw(text),
        phase=draw(text),
        step=draw(maybe),
        iteration=draw(counts),
        loop_iteration=draw(counts),
        gates=draw(st.frozensets(st.sampled_from(KNOWN_GATES) | text)),
        counters=draw(st.dictionaries(text, counts)),
        cost_usd=draw(st.floats(min_value=0, max_value=1e12)),
        started=draw(times),
        updated=draw(times),
        stop_reason=draw(maybe),
        last_task=draw(maybe),
        task_no_progress=draw(counts),
        fingerprints=draw(st.dictionaries(text, text)),
        test_attempts=draw(st.dictionaries(text, counts, max_size=40)),
        test_commands=draw(st.dictionaries(text, text, max_size=20)),
        evidence=draw(st.dictionaries(text, st.lists(text, max_size=4).map(tuple), max_size=40)),
        extra=draw(st.dictionaries(text.filter(lambda k: k not in FIELDS), json_like, max_size=4)),
    )


@FAST
@given(states())
def test_render_parse_round_trip(state: LoopState) -> None:
    assert parse_state(render_state(state)) == state


def parses_or_reports(text: str) -> None:
    """Parsing ``text`` gives a state or a LoopdError located in the file, nothing else."""
    try:
        parse_state(text, PATH)
    except LoopdError as error:
        assert error.path == PATH
        assert error.line is not None and 1 <= error.line <= text.count("\n") + 1


@FAST
@given(st.text())
def test_any_text_parses_or_reports(text: str) -> None:
    parses_or_reports(text)


YAMLISH = st.text(alphabet=st.sampled_from(list("ab1:-[]{}\"'\n #&*!|>%@`,?.~\t\\\x85")))


@FAST
@given(YAMLISH)
def test_any_block_parses_or_reports(body: str) -> None:
    parses_or_reports(f"# state\n```yaml\nversion: 1\n{body}\n```\n")


@FAST
@given(st.sampled_from(sorted(FIELDS - {"extra"})), json_like)
def test_any_value_for_a_known_key_parses_or_reports(key: str, value: Any) -> None:
    head, fence, machine = render_state(LoopState()).partition("```yaml\n")
    # The block's own line for the key (some keys are quoted there) moved out of the way.
    body = head + fence + re.sub(rf'(?m)^"?{key}"?:', f"old_{key}:", machine)
    block = f"{key}: {json.dumps(value, ensure_ascii=False)}\n"
    parses_or_reports(body.replace("```yaml\n", f"```yaml\n{block}"))


@FAST
@given(st.text().filter(lambda t: "```" not in t and "~~~" not in t))
def test_text_without_a_fence_parses_unless_it_tells_no_state(text: str) -> None:
    # loop-v2's lines are read liberally; a file telling no phase, iteration or gates is
    # refused (with its line) rather than taken for a fresh start.
    if tells_state(text):
        assert isinstance(parse_state(text, PATH), LoopState)
    else:
        with pytest.raises(LoopdError, match=r"no loop state|is empty"):
            parse_state(text, PATH)
