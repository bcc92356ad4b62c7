from __future__ import annotations

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
