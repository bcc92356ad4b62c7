from __future__ import annotations

import json
from pathlib import Path

from tests.cli import run_cli


def _run(repo: Path, *args: str) -> tuple[int, str]:
    result = run_cli(repo, *args)
    return result.code, result.out + result.err


def test_init_scaffolds_and_ignores_runtime_dir(repo: Path) -> None:
    code, out = _run(repo, "init", "2-core")
    assert code == 0, out
    vision = repo / "docs/sprints/2-core/VISION.md"
    assert "# Vision: 2-core" in vision.read_text()
    assert "## What they can do when this sprint is done" in vision.read_text()
    assert "## Requirements" in (repo / "docs/sprints/2-core/PRD.md").read_text()
    assert (repo / ".gitignore").read_text() == ".loopd/\n"


def test_init_never_overwrites(repo: Path) -> None:
    sprint = repo / "docs/sprints/s"
    sprint.mkdir(parents=True)
    (sprint / "VISION.md").write_text("mine")
    (repo / ".gitignore").write_bytes(b"node_modules\r\n/.loopd\r\n")
    code, out = _run(repo, "init", "s")
    assert code == 0
    assert (sprint / "VISION.md").read_text() == "mine"
    assert "kept     docs/sprints/s/VISION.md" in out
    assert (repo / ".gitignore").read_bytes() == b"node_modules\r\n/.loopd\r\n"


def test_init_appends_to_gitignore_keeping_crlf(repo: Path) -> None:
    (repo / ".gitignore").write_bytes(b"node_modules\r\n*.log")
    assert _run(repo, "init", "s")[0] == 0
    assert (repo / ".gitignore").read_bytes() == b"node_modules\r\n*.log\r\n.loopd/\r\n"


def test_init_refuses_bad_name_and_writes_nothing(repo: Path) -> None:
    code, out = _run(repo, "init", "../escape")
    assert code == 1 and "invalid sprint name" in out
    assert not (repo / "docs").exists() and not (repo / ".gitignore").exists()


def test_the_templates_must_be_written_before_the_loop_starts(repo: Path) -> None:
    assert _run(repo, "init", "s1")[0] == 0
    vision = repo / "docs/sprints/s1/VISION.md"

    code, out = _run(repo, "doctor", "s1", "--json")
    check = next(c for c in json.loads(out)["checks"] if c["name"] == "sprint s1")
    assert code == 1 and not check["ok"]
    assert check["detail"].endswith(
        "VISION.md: nothing is written here yet (only headings, comments and empty items)"
    )
    assert check["fix"].startswith("write it before starting the loop")
    started = run_cli(repo, "run", "s1", "--once")
    assert started.code == 1
    assert "docs/sprints/s1/VISION.md: nothing is written here yet" in started.err
    assert not (repo / "docs/sprints/s1/LOOP_STATE.md").exists()  # refused before any state
    assert not (repo / ".loopd/s1").exists()
    detached = run_cli(repo, "start", "s1")
    assert detached.code == 1 and "VISION.md: nothing is written here yet" in detached.err

    vision.write_text(vision.read_text().replace("\n-\n", "\n- A user can greet the world.\n", 1))
    code, out = _run(repo, "doctor", "s1", "--json")
    check = next(c for c in json.loads(out)["checks"] if c["name"] == "sprint s1")
    assert code == 1 and check["detail"].endswith(
        "PRD.md: nothing is written here yet (only headings, comments and empty items)"
    )


def test_init_outside_a_git_repository_says_to_git_init(tmp_path: Path, repo: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    code, out = _run(outside, "init", "s1")
    assert code == 0 and "is not a git repository yet; run: git init" in out
    assert "not a git repository" not in _run(repo, "init", "s1")[1]
