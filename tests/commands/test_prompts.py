"""``loopd prompts list|show|render`` on a real sprint directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopd import resources
from loopd.commands.prompts import prompts_list, prompts_render, prompts_show
from loopd.errors import LoopdError
from loopd.prompting import PROMPT_NAMES

ROOT = "docs/sprints"
PLAN = """# Plan

- [x] **BUILD-1**: Scaffold the API
  - Files: `api/app.py`
- [ ] **Task 2**: Login endpoint
  - Done when: BT-2 passes
- [ ] **FIX-BT-2**: Make login return 200
- [ ] **Task 3**: Logout, see BT-20
"""
BETA = """# Beta test plan

- [ ] **BT-2**: Login works
  - Expected: 200
  - *(cmd: "pytest -q tests/test_login.py")*
"""


@pytest.fixture
def live_sprint(sprint_dir: Path) -> Path:
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(PLAN)
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text(BETA)
    (sprint_dir / "loop-config.sh").write_text(
        'TEST_RUNNER_PREAMBLE="API at http://localhost:8000"\nMAX_TEST_FIX_ATTEMPTS=5\n'
    )
    return sprint_dir


def test_list_shows_the_winning_file_of_each_name(
    repo: Path, sprint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sprint_dir / "prompts").mkdir()
    (sprint_dir / "prompts" / "fix.md").write_text("legacy fix for {SPRINT}\n")
    assert prompts_list(repo=repo, sprints_root=ROOT, sprint="s1", as_json=False) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert list(rows) == list(PROMPT_NAMES)
    assert rows["fix"] == ["sprint", "legacy", "docs/sprints/s1/prompts/fix.md"]
    default_plan = resources.data_dir("prompts") / "plan.md.j2"
    assert rows["plan"] == ["default", "jinja", str(default_plan)]


def test_list_as_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    override = repo / ".loopd" / "prompts" / "vrc.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("{{ vrc }}\n")
    assert prompts_list(repo=repo, sprints_root=ROOT, sprint=None, as_json=True) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert entries["vrc"] == {
        "name": "vrc",
        "layer": "repo",
        "kind": "jinja",
        "path": ".loopd/prompts/vrc.md.j2",
        "role": "vrc",
        "warnings": [],
    }
    assert entries["test-runner"]["role"] == "test"


def test_list_of_a_missing_sprint_is_an_error(repo: Path) -> None:
    with pytest.raises(LoopdError, match="sprint directory not found"):
        prompts_list(repo=repo, sprints_root=ROOT, sprint="nope", as_json=False)


def test_show_prints_the_template_source(
    repo: Path, sprint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert prompts_show(repo=repo, sprints_root=ROOT, name="fix", sprint=None) == 0
    default = resources.data_dir("prompts") / "fix.md.j2"
    assert capsys.readouterr().out == default.read_text()
    (sprint_dir / "prompts").mkdir()
    (sprint_dir / "prompts" / "fix.md.j2").write_text("{{ evidence }}\n")
    prompts_show(repo=repo, sprints_root=ROOT, name="fix", sprint="s1")
    assert capsys.readouterr().out == "{{ evidence }}\n"


def test_show_unknown_name(repo: Path) -> None:
    with pytest.raises(LoopdError, match="unknown prompt name 'fixes'"):
        prompts_show(repo=repo, sprints_root=ROOT, name="fixes", sprint=None)


def test_render_fix_with_the_live_test_and_preamble(
    repo: Path, live_sprint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = prompts_render(
        repo=repo, sprints_root=ROOT, name="fix", sprint="s1", task=None, test="BT-2"
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "# Fix BT-2: sprint s1" in out
    assert '  - *(cmd: "pytest -q tests/test_login.py")*' in out
    assert "API at http://localhost:8000" in out
    assert "- [ ] **FIX-BT-2**: Make login return 200" in out
    assert "- [ ] **Task 2**: Login endpoint" in out
    assert "**Task 3**" not in out, "BT-20 is another test"


def test_render_implement_with_a_task(
    repo: Path, live_sprint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts_render(
        repo=repo, sprints_root=ROOT, name="implement", sprint="s1", task="BUILD-1", test=None
    )
    out = capsys.readouterr().out
    assert "# Implement BUILD-1: sprint s1" in out
    assert "- [x] **BUILD-1**: Scaffold the API\n  - Files: `api/app.py`\n" in out


def test_render_passes_the_configured_limits(
    repo: Path, live_sprint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (live_sprint / "prompts").mkdir()
    (live_sprint / "prompts" / "fix.md.j2").write_text(
        "{{ limits.max_test_fix_attempts }} {{ limits.max_gate_retries }}\n"
    )
    prompts_render(repo=repo, sprints_root=ROOT, name="fix", sprint="s1", task=None, test=None)
    assert capsys.readouterr().out == "5 3\n"


def test_render_a_gate_names_it(
    repo: Path, live_sprint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts_render(repo=repo, sprints_root=ROOT, name="tidy", sprint="s1", task=None, test=None)
    assert "No changes: tidy passed." in capsys.readouterr().out


def test_render_final_vrc(
    repo: Path, live_sprint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts_render(
        repo=repo, sprints_root=ROOT, name="vrc", sprint="s1", task=None, test=None, vrc="final"
    )
    assert "VISION: NOT_DELIVERED" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "value", "document"),
    [("task", "Task 9", "IMPLEMENTATION_PLAN.md"), ("test", "BT-9", "BETA_TEST_PLAN_v1.md")],
)
def test_render_unknown_item_names_the_document(
    repo: Path, live_sprint: Path, option: str, value: str, document: str
) -> None:
    ids = {"task": None, "test": None, option: value}
    before = {p: p.read_bytes() for p in live_sprint.iterdir() if p.is_file()}
    with pytest.raises(LoopdError) as caught:
        prompts_render(repo=repo, sprints_root=ROOT, name="fix", sprint="s1", **ids)
    message = str(caught.value)
    assert message.startswith(f"{live_sprint / document}: no {option} with ID {value!r}")
    assert "known:" in message
    assert {p: p.read_bytes() for p in live_sprint.iterdir() if p.is_file()} == before


def test_render_a_broken_override_points_at_it(repo: Path, live_sprint: Path) -> None:
    (live_sprint / "prompts").mkdir()
    (live_sprint / "prompts" / "plan.md.j2").write_text("# Plan\n{{ pathz.plan }}\n")
    with pytest.raises(LoopdError, match=r"^docs/sprints/s1/prompts/plan.md.j2:2: 'pathz'"):
        prompts_render(repo=repo, sprints_root=ROOT, name="plan", sprint="s1", task=None, test=None)
