"""Reading LOOP_STATE.md files that loop-v2 (or an agent editing them) wrote."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import NamedTuple

import pytest

from loopd.errors import LoopdError
from loopd.state import KNOWN_GATES, LoopState, load_state, parse_state, save_state

FIXTURES = Path(__file__).parent / "fixtures" / "state"
UTC = datetime.UTC


class Expected(NamedTuple):
    sprint: str
    phase: str
    iteration: int
    gates: tuple[str, ...]
    updated: datetime.datetime | None


JAN_10 = datetime.datetime(2025, 1, 10, 12, 34, 56, tzinfo=UTC)
SHAPES = {
    "loop_v2_bash.md": Expected("2-agentic-core", "3", 12, KNOWN_GATES[:9], JAN_10),
    "markdown_bold.md": Expected(
        "2-agentic-core", "4", 27, KNOWN_GATES[:10], datetime.datetime(2025, 2, 3, 8, tzinfo=UTC)
    ),
    "markdown_list.md": Expected("", "testing", 7, ("vrc1", "craap", "clarity"), None),
    "markdown_table.md": Expected("", "5", 40, KNOWN_GATES, datetime.datetime(2025, 3, 1, 9, 15)),
    "empty_values.md": Expected("s1", "0", 0, (), JAN_10),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_legacy_shapes(name: str) -> None:
    state = parse_state((FIXTURES / name).read_text(encoding="utf-8"))
    expected = SHAPES[name]
    assert (state.sprint, state.phase, state.iteration) == expected[:3]
    assert state.gates == frozenset(expected.gates)
    assert state.updated == expected.updated


def test_gates_are_exact_names_not_substrings() -> None:
    state = parse_state((FIXTURES / "substring_gates.md").read_text(encoding="utf-8"))
    assert state.gates == {"vrc", "craap2", "clarity", "tidy"}
    # loop-v2's `*"$gate"*` test said yes to all three of these.
    assert not state.gate_passed("vrc1")
    assert not state.gate_passed("vrc2")
    assert not state.gate_passed("craap")
    assert state.gate_passed("vrc")


def test_crlf_file_reads_like_lf() -> None:
    text = (FIXTURES / "loop_v2_bash.md").read_text(encoding="utf-8")
    assert parse_state(text.replace("\n", "\r\n")) == parse_state(text)


@pytest.mark.parametrize("text", ["iteration: soon\n", "gates_passed: none\n", "phase:\n"])
def test_state_lines_without_a_readable_value_give_defaults(text: str) -> None:
    assert parse_state(text) == LoopState()


@pytest.mark.parametrize("text", ["", "\n\n", "just some notes\n", "Phase 3 started\n"])
def test_a_file_telling_no_state_is_refused_not_taken_for_a_fresh_start(
    tmp_path: Path, text: str
) -> None:
    # Before: an empty (or truncated) LOOP_STATE.md was a fresh state: the sprint re-planned.
    path = tmp_path / "docs/sprints/s1/LOOP_STATE.md"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(LoopdError) as caught:
        load_state(path)
    assert caught.value.path == path and caught.value.line == 1
    assert "neither loopd's ```yaml block nor loop-v2's `phase:` lines" in caught.value.message
    assert caught.value.hint is not None and ".loopd/s1/archive/" in caught.value.hint
    assert "delete it to start the sprint afresh" in caught.value.hint
    assert path.read_text() == text


def test_a_state_file_that_is_not_utf8_is_refused_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "docs/sprints/s1/LOOP_STATE.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"phase: 3\n\xff\xfe")
    with pytest.raises(LoopdError, match="not valid UTF-8") as caught:
        load_state(path)
    assert caught.value.hint is not None and ".loopd/s1/archive/" in caught.value.hint


def test_loop_v2_s_three_lines_alone_are_a_state() -> None:
    state = parse_state("phase: 2\niteration: 12\ngates_passed: vrc1,craap,\n")
    assert (state.phase, state.iteration, state.gates) == ("2", 12, {"vrc1", "craap"})


def test_first_occurrence_wins() -> None:
    state = parse_state("phase: 3\nPhase: 9\niteration: 4\n- **Iteration:** 8\n")
    assert (state.phase, state.iteration) == ("3", 4)


def test_loop_v2_file_migrates_on_first_save(tmp_path: Path) -> None:
    path = tmp_path / "LOOP_STATE.md"
    path.write_bytes((FIXTURES / "loop_v2_bash.md").read_bytes())
    legacy = load_state(path)
    save_state(path, legacy.with_gate("service_readiness"), tmp_path / "lock")
    migrated = load_state(path)
    assert migrated.gates == legacy.gates | {"service_readiness"}
    assert (migrated.sprint, migrated.phase, migrated.iteration) == ("2-agentic-core", "3", 12)
    assert "```yaml" in path.read_text(encoding="utf-8")
