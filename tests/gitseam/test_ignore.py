"""ensure_gitignore: secrets and .loopd/ ignored, existing bytes kept, judged as git does."""

from __future__ import annotations

import subprocess
from pathlib import Path

from loopd.gitseam.ignore import ENTRIES
from tests.gitseam.conftest import events_of, make_seam


def ignored(repo: Path, name: str) -> bool:
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", name], cwd=repo, check=False)
    return done.returncode == 0


def test_a_repo_without_gitignore_gets_every_entry_once(repo: Path) -> None:
    seam = make_seam(repo)
    added = seam.ensure_gitignore()
    text = (repo / ".gitignore").read_bytes()
    assert added == [entry for entry, _, _ in ENTRIES]
    assert seam.ensure_gitignore() == []
    assert (repo / ".gitignore").read_bytes() == text
    assert events_of(seam, "git_ignore")[0]["added"] == added
    for path, want in [
        (".env", True),
        (".env.prod", True),
        (".env.example", False),
        ("a/b.pem", True),
        (".loopd/s1/lock", True),
        ("main.py", False),
    ]:
        assert ignored(repo, path) is want, path


def test_existing_bytes_are_kept_exactly(repo: Path) -> None:
    original = b"# mine\r\nnode_modules/\r\n*.pem\r\n/.loopd"
    (repo / ".gitignore").write_bytes(original)
    added = make_seam(repo).ensure_gitignore()
    text = (repo / ".gitignore").read_bytes()
    assert text.startswith(original + b"\r\n")
    assert "*.pem" not in added and ".loopd/" not in added
    assert text[len(original) :] == b"\r\n" + b"".join(e.encode() + b"\r\n" for e in added)


def test_broader_existing_patterns_count_as_present(repo: Path) -> None:
    (repo / ".gitignore").write_text(".env*\n!.env.example\n")
    added = make_seam(repo).ensure_gitignore()
    assert ".env" not in added and ".env.*" not in added and "!.env.example" not in added
    assert not ignored(repo, ".env.example")


def test_an_earlier_exception_is_repeated_after_what_would_override_it(repo: Path) -> None:
    (repo / ".gitignore").write_text(".env\n!.env.example\n")
    added = make_seam(repo).ensure_gitignore()
    assert ".env.*" in added
    assert ignored(repo, ".env.local")
    assert not ignored(repo, ".env.example")
    assert make_seam(repo).ensure_gitignore() == []
