"""The VALUE_CHECKLIST.md table in the loop: BLOCKED rows re-checked, delivery by loop-v2's rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loopd.engine import machine
from loopd.engine.spec import load_spec
from loopd.engine.steps import verify_blockers
from tests.engine.support import context, replay_config, write_script
from tests.engine.test_loop import happy_rules

TABLE = """# Value checklist

| # | Deliverable | Value to User | Exists | Works | VALUE |
|---|-------------|---------------|--------|-------|-------|
| 1 | greet.py | a greeting module | [x] | [x] | [x] |
| 2 | greet() | says hello | [x] | [x] | {last} |
"""


def _events(repo: Path, kind: str) -> list[dict[str, Any]]:
    log = repo / ".loopd/s1/events.jsonl"
    lines = log.read_text().splitlines() if log.exists() else []
    return [e for e in map(json.loads, lines) if e["type"] == kind]


def _without_verdict() -> list[dict[str, Any]]:
    """The happy loop, but the final VRC says nothing loopd parses (a loop-v2 vrc.md)."""
    rules = [r for r in happy_rules() if r["name"] != "final"]
    final = {"name": "final", "when": {"prompt": "vrc", "vrc": "final"},
             "do": [{"print": "Checked every value item against the running app."}]}  # fmt: skip
    return [*rules[:-1], final, rules[-1]]


@pytest.mark.parametrize(
    ("last", "delivered"), [("[x]", True), ("[ ]", False), ("[x] | BLOCKED: B1 ", False)]
)
def test_without_a_vision_line_the_value_table_decides(
    repo: Path, sprint_dir: Path, last: str, delivered: bool
) -> None:
    (sprint_dir / "VALUE_CHECKLIST.md").write_text(TABLE.format(last=last))
    notes: list[str] = []
    ctx = context(repo, replay_config(write_script(repo, _without_verdict())), notes)
    loop = machine.run(load_spec(), ctx, on_step=lambda _: None)

    assert loop.finished()
    vision = _events(repo, "vision")
    assert [e["delivered"] for e in vision] == [delivered]
    prompts = [e["prompt"] for e in _events(repo, "agent")]
    # Not delivered with nothing left to build: loopd asks discover for gaps.
    assert ("discover" in prompts) is not delivered
    said = [n for n in notes if n.startswith("final VRC:")]
    assert said == [
        f"final VRC: vision {'delivered' if delivered else 'not delivered'} (no VISION line; "
        f"value table: {2 if delivered else 1} of 2 rows verified"
        + (", 1 blocked)" if "BLOCKED" in last else ")")
    ]


def test_a_vision_line_wins_over_the_table(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "VALUE_CHECKLIST.md").write_text(TABLE.format(last="[ ]"))
    notes: list[str] = []
    ctx = context(repo, replay_config(write_script(repo, happy_rules())), notes)
    machine.run(load_spec(), ctx, on_step=lambda _: None)
    assert [e["delivered"] for e in _events(repo, "vision")] == [True]
    assert "final VRC: vision delivered" in notes


def test_no_vision_line_and_no_table_is_not_delivered(repo: Path, sprint_dir: Path) -> None:
    notes: list[str] = []
    ctx = context(repo, replay_config(write_script(repo, _without_verdict())), notes)
    machine.run(load_spec(), ctx, on_step=lambda _: None)
    assert [e["delivered"] for e in _events(repo, "vision")] == [False]
    assert "final VRC: vision not delivered (no VISION line and no value table)" in notes


def _verify_calls(repo: Path, checklist: str) -> list[str]:
    path = repo / "docs/sprints/s1/VALUE_CHECKLIST.md"
    path.write_text(checklist)
    resolve = {"patch": {"path": str(path), "old": "BLOCKED", "new": "resolved"}}
    unblock = {"name": "unblock", "when": {"prompt": "verify-blockers"}, "do": [resolve]}
    rules = [unblock, {"do": [{"print": "ok"}]}]
    notes: list[str] = []
    ctx = context(repo, replay_config(write_script(repo, rules)), notes)
    ctx.begin_step()
    verify_blockers.run(ctx)
    return [e["prompt"] for e in _events(repo, "agent")] + notes


@pytest.mark.parametrize(
    "checklist",
    [
        TABLE.format(last="[ ] | BLOCKED: B1 (needs a Stripe key) "),
        TABLE.format(last="[x]") + "\nBLOCKED: the export needs a Stripe key\n",
        "- [B] **VAL-001**: export, BLOCKED: needs a Stripe key\n",
    ],
    ids=["table-row", "anywhere", "checklist-item"],
)
def test_blocked_anywhere_in_the_value_checklist_triggers_verify_blockers(
    repo: Path, sprint_dir: Path, checklist: str
) -> None:
    assert _verify_calls(repo, checklist) == [
        "verify-blockers",
        "verify-blockers: some blockers resolved",
    ]


def test_a_value_checklist_without_blockers_asks_nothing(repo: Path, sprint_dir: Path) -> None:
    assert _verify_calls(repo, TABLE.format(last="[ ]")) == []


def test_a_loop_v2_vrc_prompt_runs_and_its_warning_is_told_once(
    repo: Path, sprint_dir: Path
) -> None:
    (sprint_dir / "VALUE_CHECKLIST.md").write_text(TABLE.format(last="[x]"))
    prompt = repo / "loop-v2" / "prompts" / "vrc.md"
    prompt.parent.mkdir(parents=True)
    prompt.write_text("# VRC\n\nCheck {SPRINT_DIR}/VALUE_CHECKLIST.md against the app.\n")
    notes: list[str] = []
    ctx = context(repo, replay_config(write_script(repo, _without_verdict())), notes)
    machine.run(load_spec(), ctx, on_step=lambda _: None)

    warnings = [n for n in notes if n.startswith("warning: loop-v2/prompts/vrc.md:1:")]
    assert len(warnings) == 1 and "replaces 'vrc'" in warnings[0]
    sent = sorted((repo / ".loopd/s1/runs").rglob("*-vrc-*.prompt.md"))
    assert len(sent) >= 3  # vrc1, vrc2 and the final one
    assert all(p.read_text().startswith("# VRC\n\nCheck docs/sprints/s1/VALUE") for p in sent)
    assert "VISION: NOT_DELIVERED" in sent[-1].read_text()
    assert "VISION: NOT_DELIVERED" not in sent[0].read_text()
    assert [e["delivered"] for e in _events(repo, "vision")] == [True]


def test_an_undecodable_value_checklist_is_still_read_for_blockers(
    repo: Path, sprint_dir: Path
) -> None:
    path = sprint_dir / "VALUE_CHECKLIST.md"
    ctx = context(repo, replay_config(write_script(repo, [{"do": [{"print": "ok"}]}])))
    path.write_bytes(b"- [ ] **VAL-1**: caf\xe9 export\n")
    assert not verify_blockers.has_blockers(ctx)  # read, not a stopped loop
    path.write_bytes(b"- [ ] **VAL-1**: caf\xe9 export, BLOCKED: no key\n")
    assert verify_blockers.has_blockers(ctx)
