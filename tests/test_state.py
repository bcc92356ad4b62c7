"""LOOP_STATE.md: the state object, its file format, bad files, saving and loading."""

from __future__ import annotations

import dataclasses
import datetime
import random
from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.state import (
    KNOWN_GATES,
    PLANNING_GATES,
    QUALITY_GATES,
    STATE_VERSION,
    LoopState,
    load_state,
    parse_state,
    render_state,
    save_state,
)

NOW = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)


def busy_state() -> LoopState:
    """A state with something in every field."""
    return (
        LoopState(sprint="2-agentic-core", phase="testing", step="fix", iteration=12)
        .evolve(loop_iteration=15, last_task="FIX-BT-007", task_no_progress=2)
        .with_gate("vrc1")
        .with_gate("craap")
        .bump("no_progress")
        .bump("agent_calls", 40)
        .add_cost(1.25)
        .with_attempts("BT-007", 3)
        .with_evidence("BT-007", ".loopd/s/runs/1/001-test-BT-007.json")
        .with_test_command("BT-007", "curl -sf localhost:3000/health | jq -e .ok")
        .with_fingerprint("progress", "ab12")
        .touched(NOW)
    )


def line_no(text: str, starts_with: str) -> int:
    """1-based number of the first line of ``text`` starting with ``starts_with``."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if line.startswith(starts_with))


def replace_line(text: str, starts_with: str, new: str) -> str:
    lines = text.split("\n")
    lines[line_no(text, starts_with) - 1] = new
    return "\n".join(lines)


# ------------------------------------------------------------------ the object


def test_state_is_immutable_and_copies_its_inputs() -> None:
    counters = {"no_progress": 1}
    state = LoopState(counters=counters)
    counters["no_progress"] = 9
    assert state.counter("no_progress") == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.phase = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        state.counters["no_progress"] = 5  # type: ignore[index]


def test_helpers_return_new_states_and_leave_the_old_alone() -> None:
    old = LoopState()
    new = old.bump("no_progress").bump("no_progress").with_attempts("BT-1", 2)
    new = new.with_evidence("BT-1", "a.json").with_evidence("BT-1", "b.json", "c.json")
    assert (old.counter("no_progress"), new.counter("no_progress")) == (0, 2)
    assert new.attempts("BT-1") == 2 and old.attempts("BT-1") == 0
    assert new.evidence["BT-1"] == ("a.json", "b.json", "c.json")
    assert new.with_counter("no_progress", 0).counter("no_progress") == 0


def test_gate_invalidation_matches_loop_v2_groups() -> None:
    state = LoopState(gates=frozenset(KNOWN_GATES))
    quality_cleared = state.without_gates(*QUALITY_GATES)
    assert quality_cleared.gates == set(KNOWN_GATES) - set(QUALITY_GATES)
    planning_cleared = state.without_gates(*PLANNING_GATES)
    assert planning_cleared.gates == {"service_readiness", "test_plan_generated"}
    assert not LoopState().with_gate("vrc1").gate_passed("vrc")


def test_touched_keeps_the_first_start_time() -> None:
    later = NOW + datetime.timedelta(hours=1)
    state = LoopState().touched(NOW).touched(later)
    assert (state.started, state.updated) == (NOW, later)


def test_extra_keys_may_not_shadow_fields() -> None:
    with pytest.raises(ValueError, match="phase"):
        LoopState(extra={"phase": "x"})


# ------------------------------------------------------------------ the format


def test_render_has_a_summary_and_one_yaml_block() -> None:
    text = render_state(busy_state())
    assert text.count("```yaml\n") == 1
    summary = text.split("```yaml")[0]
    assert "- **Phase:** testing" in summary
    assert "- **Iteration:** 12" in summary
    assert "- **Gates passed:** vrc1, craap" in summary
    assert "- **Updated:** 2025-03-01T12:00:00+00:00" in summary
    assert parse_state(text) == busy_state()


def test_gates_are_stored_sorted() -> None:
    text = render_state(LoopState(gates=frozenset({"vrc2", "craap", "vrc1"})))
    assert "gates: [craap, vrc1, vrc2]" in text


def test_summary_cannot_break_the_file() -> None:
    state = LoopState(sprint="s", stop_reason="boom\n```yaml\nversion: 9\n```\n" + "x" * 500)
    text = render_state(state)
    assert parse_state(text) == state
    stopped = next(line for line in text.split("\n") if line.startswith("- **Stopped:**"))
    assert len(stopped) < 200


def test_summary_alone_still_gives_the_headline_state() -> None:
    # Someone deletes the YAML block: the summary reads like a loop-v2 file.
    state = busy_state()
    summary = render_state(state).split("## Machine state")[0]
    recovered = parse_state(summary)
    assert (recovered.sprint, recovered.phase) == (state.sprint, state.phase)
    assert (recovered.iteration, recovered.loop_iteration) == (12, 15)
    assert recovered.gates == state.gates


def test_unknown_keys_survive_a_round_trip() -> None:
    text = render_state(busy_state())
    newer = text.replace("version: 1\n", "version: 1\nbudget:\n  cap_usd: 20\n  spent: [1, 2]\n")
    state = parse_state(newer)
    assert state.extra == {"budget": {"cap_usd": 20, "spent": [1, 2]}}
    assert parse_state(render_state(state.bump("no_progress"))).extra == state.extra


def test_big_unicode_maps_round_trip() -> None:
    rng = random.Random(7)
    alphabet = "abcXYZ019-_ .:#'\"\\\t\n✓Ωж中文🙂\u2028\x85\x7f\ufeff"
    ids = {"".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(2000)}
    ids.add("x" * 2000)  # longer than YAML's implicit-key limit
    state = LoopState(
        test_attempts={i: rng.randint(0, 10**12) for i in ids},
        test_commands={i: i[::-1] for i in ids},
        evidence={i: tuple(i[: n + 1] for n in range(rng.randint(0, 3))) for i in ids},
    )
    assert parse_state(render_state(state)) == state


def test_hand_written_phase_number_is_text() -> None:
    text = replace_line(render_state(LoopState()), '"phase":', "phase: 3")
    assert parse_state(text).phase == "3"


# ------------------------------------------------------------------ bad blocks


@pytest.mark.parametrize(
    ("starts_with", "bad_line", "message"),
    [
        ('"iteration":', "iteration: lots", "`iteration` must be a whole number"),
        ('"iteration":', "iteration: -1", "`iteration` must be a whole number"),
        ("gates:", "gates: vrc1", "`gates` must be a list"),
        ("gates:", "gates: [vrc1, 2]", "`gates.1` must be text"),
        ("  no_progress:", "  no_progress: many", "`counters.no_progress` must be a whole"),
        ("  BT-007:", "  BT-007: true", "`test_attempts.BT-007` must be a whole number"),
        ("cost_usd:", "cost_usd: .nan", "`cost_usd` must be a number"),
        ("updated:", "updated: yesterday", "`updated` must be an ISO 8601"),
        ("version:", "version: 99", "state version 99"),
        ("version:", "version: 0", "state version 0"),
        ('"phase":', "phase: [3]", "`phase` must be text"),
        ('"phase":', "phase: x: y", "malformed YAML"),
        ('"phase":', "\tphase: x", "malformed YAML"),
        ("loop_iteration:", "iteration: 3", "key `iteration` appears twice"),
    ],
)
def test_bad_values_are_reported_at_their_line(
    starts_with: str, bad_line: str, message: str
) -> None:
    text = render_state(busy_state())
    target = line_no(text, starts_with)
    bad = replace_line(text, starts_with, bad_line)
    path = Path("docs/sprints/s/LOOP_STATE.md")
    with pytest.raises(LoopdError, match=message) as caught:
        parse_state(bad, path)
    assert caught.value.path == path
    assert caught.value.line == target
    assert str(caught.value).startswith(f"{path}:{target}: ")


def test_unclosed_bracket_names_where_it_began() -> None:
    text = render_state(busy_state())
    bad = replace_line(text, "gates:", "gates: [craap, vrc1")
    opened = f"flow sequence at line {line_no(text, 'gates:')}"
    with pytest.raises(LoopdError, match=opened):
        parse_state(bad, Path("s.md"))


def test_newer_version_says_to_upgrade() -> None:
    bad = replace_line(render_state(LoopState()), "version:", f"version: {STATE_VERSION + 1}")
    with pytest.raises(LoopdError, match="upgrade loopd"):
        parse_state(bad, Path("s.md"))


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ("- a\n- b\n", "must be a mapping", 4),
        ("just text\n", "must be a mapping", 4),
        ("", "must be a mapping", 4),
        ("phase: x\n", "no `version`", 3),
        ("version: 1\n1: x\n", "key 1 must be text", 5),
        ("version: 1\ncounters: {a: 1, a: 2}\n", "key `a` appears twice", 5),
    ],
)
def test_block_shape_errors(body: str, message: str, line: int) -> None:
    text = f"# state\n\n```yaml\n{body}```\n"
    with pytest.raises(LoopdError, match=message) as caught:
        parse_state(text, Path("s.md"))
    assert caught.value.line == line


def test_two_machine_blocks_are_an_error() -> None:
    text = render_state(LoopState())
    doubled = text + "\n" + text
    with pytest.raises(LoopdError, match="second machine-state block") as caught:
        parse_state(doubled, Path("s.md"))
    assert caught.value.line == len(text.split("\n")) + line_no(text, "```yaml")


def test_unclosed_block_is_an_error() -> None:
    text = render_state(LoopState()).rstrip().removesuffix("```")
    with pytest.raises(LoopdError, match="no closing") as caught:
        parse_state(text, Path("s.md"))
    assert caught.value.line == line_no(text, "```yaml")


def test_yaml_inside_another_fence_is_not_the_machine_block() -> None:
    text = render_state(busy_state()) + "\n````markdown\n```yaml\nversion: 9\n```\n````\n"
    assert parse_state(text) == busy_state()


# ------------------------------------------------------------------ load, save


def test_missing_file_is_a_fresh_state(tmp_path: Path) -> None:
    assert load_state(tmp_path / "LOOP_STATE.md") == LoopState()


def test_save_then_load_and_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "sprint" / "LOOP_STATE.md"
    lock = tmp_path / "runtime" / "lock"
    state = busy_state()
    for n in range(5):
        state = state.evolve(iteration=n)
        save_state(path, state, lock)
        assert load_state(path) == state
    assert [p.name for p in path.parent.iterdir()] == ["LOOP_STATE.md"]


def test_malformed_file_fails_load_and_save_untouched(tmp_path: Path) -> None:
    path = tmp_path / "LOOP_STATE.md"
    good = render_state(busy_state())
    bad = replace_line(good, "  no_progress:", "  no_progress: many")
    path.write_text(bad, encoding="utf-8")
    before = path.read_bytes()
    expected = f"{path}:{line_no(good, '  no_progress:')}: "
    with pytest.raises(LoopdError) as loading:
        load_state(path)
    assert str(loading.value).startswith(expected)
    with pytest.raises(LoopdError) as saving:
        save_state(path, LoopState(phase="overwritten"), tmp_path / "lock")
    assert str(saving.value).startswith(expected)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_hand_edit_between_saves_is_checked(tmp_path: Path) -> None:
    path, lock = tmp_path / "LOOP_STATE.md", tmp_path / "lock"
    save_state(path, busy_state(), lock)
    broken = replace_line(path.read_text(encoding="utf-8"), '"iteration":', "iteration: [")
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(LoopdError, match="malformed YAML"):
        save_state(path, LoopState(), lock)
    assert path.read_text(encoding="utf-8") == broken
    fixed = replace_line(broken, "iteration: [", "iteration: 99")
    path.write_text(fixed, encoding="utf-8")
    save_state(path, load_state(path).bump("no_progress"), lock)
    assert load_state(path).iteration == 99


def test_save_keeps_a_newer_loopds_file(tmp_path: Path) -> None:
    path = tmp_path / "LOOP_STATE.md"
    newer = replace_line(render_state(busy_state()), "version:", f"version: {STATE_VERSION + 1}")
    path.write_text(newer, encoding="utf-8")
    with pytest.raises(LoopdError, match="upgrade loopd"):
        save_state(path, LoopState(), tmp_path / "lock")
    assert path.read_text(encoding="utf-8") == newer
