"""A write killed before its rename leaves a temp file: never committed, removed at next start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from loopd import fsio
from loopd.engine.recovery import clear_leftovers
from loopd.gitseam import untracked
from tests.conftest import git
from tests.integration.sprints import install, loopd


def _killed_writing(target: Path) -> Path:
    """Run atomic_write in a process killed (SIGKILL) just before its rename; its temp file."""
    code = (
        "import os, sys; from pathlib import Path; from loopd import fsio; "
        "Path.replace = lambda self, to: os.kill(os.getpid(), 9); "
        "fsio.atomic_write(Path(sys.argv[1]), 'half\\n')"
    )
    done = subprocess.run([sys.executable, "-c", code, str(target)], check=False)
    assert done.returncode == -9
    (left,) = target.parent.glob(f".{target.name}.*.tmp")
    return left


def test_a_kill_during_the_gitignore_write_leaves_nothing_the_next_run_commits(
    repo: Path,
) -> None:
    # Before: "..gitignore.<random>.tmp" stayed at the top of the repository and the next
    # step's commit took it in.  In place: the loop's tree is the checkout (in a worktree
    # of its own, loopd never writes the checkout's .gitignore).
    install(repo, "greeter")
    left = _killed_writing(repo / ".gitignore")
    assert fsio.is_orphaned_temp(left)
    done = loopd(repo, "run", "s1", "--once", "--in-place")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not left.exists()
    assert f"removed {left.name}" in done.stdout + done.stderr
    committed = git(repo, "log", "--all", "--name-only", "--format=")
    assert ".tmp" not in committed


def test_temp_files_under_loopd_are_cleaned_but_a_live_writer_s_are_kept(repo: Path) -> None:
    sprint_dir = repo / "docs/sprints/s1"
    sprint_dir.mkdir(parents=True)
    runs = repo / ".loopd/s1/runs"
    runs.mkdir(parents=True)
    dead = [_killed_writing(runs / "001.json"), _killed_writing(repo / ".loopd/s2/status.json")]
    older = repo / ".loopd/s1/.status.json.abc123.tmp"  # an older loopd's name, no pid
    older.write_text("x")
    live = repo / f".loopd/s2/.status.json{fsio.TEMP_MARKER}{os.getpid()}-abc.tmp"
    live.write_text("x")  # another sprint's daemon writing right now
    users = repo / ".notes.tmp"
    users.write_text("mine")
    removed = clear_leftovers(repo, sprint_dir)
    assert sorted(removed) == sorted(str(p.relative_to(repo)) for p in [*dead, older])
    assert live.exists() and users.exists()


def test_loopd_temp_files_are_never_staged() -> None:
    name = f"..gitignore{fsio.TEMP_MARKER}123-abc.tmp"
    assert untracked.chosen([name, f"src/.a.py{fsio.TEMP_MARKER}9-x.tmp", "a.py"], None, ()) == [
        "a.py"
    ]
    assert untracked.chosen([name, ".notes.tmp"], frozenset(), ()) == [".notes.tmp"]
