"""LOOP_STATE.md as loopd writes it, read back by loop-v2's loop.sh logic (run with bash).

loop.sh's load_state takes, for each of ``phase``, ``iteration`` and
``gates_passed``, every line starting with ``<name>:``, keeps the text between
the first and second colon and deletes the spaces; a gate counts as passed
when its name occurs anywhere in that text.  READ_BACK below does the same
with sed, written from that description, and prints what loop.sh would hold.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from loopd.state import KNOWN_GATES, LoopState, load_state, save_state

READ_BACK = r"""
set -eu
file="$1"
value() { sed -n "s/^$1:\([^:]*\).*/\1/p" "$file" | tr -d ' '; }
phase=$(value phase)
iteration=$(value iteration)
gates=$(value gates_passed)
# loop.sh counts on from the iteration it read: it must be one number.
next=${iteration:-0}
next=$((next + 1))
echo "phase=[$phase]"
echo "iteration=[$iteration]"
echo "gates=[$gates]"
echo "next=[$next]"
for gate in vrc1 craap clarity validate connect tidy planning vrc2 preflight \
            service_readiness test_plan_generated; do
    case "$gates" in *"$gate"*) echo "passed=$gate" ;; esac
done
"""


def read_back(path: Path) -> dict[str, object]:
    done = subprocess.run(
        ["bash", "-c", READ_BACK, "read-back", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    fields: dict[str, object] = {"passed": []}
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "passed":
            fields["passed"].append(value)  # type: ignore[attr-defined]
        else:
            fields[key] = value.strip("[]")
    return fields


def saved(tmp_path: Path, state: LoopState) -> Path:
    path = tmp_path / "LOOP_STATE.md"
    save_state(path, state, tmp_path / "files.lock")
    return path


def test_loop_sh_reads_phase_iteration_and_gates_loopd_wrote(tmp_path: Path) -> None:
    state = LoopState(sprint="s1", phase="testing", step="testing", iteration=7)
    for gate in ("vrc1", "craap", "clarity", "validate", "connect", "tidy", "planning", "vrc2"):
        state = state.with_gate(gate)
    path = saved(tmp_path, state)

    got = read_back(path)

    assert got["phase"] == "2"
    assert got["iteration"] == "7"
    assert got["next"] == "8"
    # loop-v2's own shape: its names, in the order it passes them, each with a comma.
    assert got["gates"] == "vrc1,craap,clarity,validate,connect,tidy,planning,vrc2,"
    assert got["passed"] == ["vrc1", "craap", "clarity", "validate", "connect", "tidy",
                             "planning", "vrc2"]  # fmt: skip
    assert load_state(path) == state  # and loopd still reads its own file


@pytest.mark.parametrize(
    ("phase", "iteration", "expected"),
    [
        ("", 0, "0"),
        ("setup", 0, "0"),
        ("planning", 0, "1"),
        ("implementation", 0, "1"),
        ("services", 0, "1"),
        ("testing", 0, "2"),
        ("completion", 0, "2"),
        ("loop", 4, "2"),  # a later pass: loop-v2 stayed in phase 2 once testing began
    ],
)
def test_phase_numbers_are_loop_v2s(
    tmp_path: Path, phase: str, iteration: int, expected: str
) -> None:
    got = read_back(saved(tmp_path, LoopState(phase=phase, iteration=iteration)))
    assert (got["phase"], got["iteration"]) == (expected, str(iteration))


def test_a_fresh_state_has_no_gates_for_loop_sh(tmp_path: Path) -> None:
    got = read_back(saved(tmp_path, LoopState(sprint="s1")))
    assert got["gates"] == "" and got["passed"] == []


def test_gates_loop_v2_does_not_know_are_not_given_to_it(tmp_path: Path) -> None:
    # loop.sh matches substrings: an unknown `vrc1_extra` would read as vrc1 passed.
    state = LoopState(gates=frozenset({"vrc1_extra", "service_readiness"}))
    got = read_back(saved(tmp_path, state))
    assert got["gates"] == "service_readiness,"
    assert got["passed"] == ["service_readiness"]
    assert load_state(tmp_path / "LOOP_STATE.md").gates == state.gates


def test_every_known_gate_round_trips_through_loop_sh(tmp_path: Path) -> None:
    got = read_back(saved(tmp_path, LoopState(gates=frozenset(KNOWN_GATES), iteration=1)))
    assert got["gates"] == "".join(f"{g}," for g in KNOWN_GATES)
    assert set(got["passed"]) == set(KNOWN_GATES)  # type: ignore[arg-type]
