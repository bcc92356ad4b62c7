"""The README's path for a first sprint on your own repo, through the real CLI.

init, write VISION and PRD, run: on a main branch with uncommitted work of
the user's own (and loopd init's .gitignore edit), exactly as a newcomer has it.
The loop works in its own worktree; the checkout is left as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import git
from tests.integration.sprints import FIXTURES, loopd, state, work

SPRINT_DIR = "docs/sprints/s1"


def test_init_write_the_docs_and_run_on_a_dirty_main(repo: Path, tmp_path: Path) -> None:
    script = tmp_path / "agent.yaml"  # outside the repo: not part of the user's work
    shutil.copy(FIXTURES / "greeter/.loopd/replay.yaml", script)
    shutil.copy(FIXTURES / "greeter/check_greet.py", repo)  # the project's own test script
    git(repo, "add", "check_greet.py")
    git(repo, "commit", "-q", "-m", "project")
    (repo / "README.md").write_text("# project\n\nhalf-written notes\n")
    assert loopd(repo, "init", "s1").returncode == 0
    for name in ("VISION.md", "PRD.md"):
        shutil.copy(FIXTURES / "greeter" / SPRINT_DIR / name, repo / SPRINT_DIR / name)

    env = {"LOOPD_AGENT_BACKEND": "replay", "LOOPD_AGENT_REPLAY_SCRIPT": str(script)}
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    done = loopd(repo, "run", "s1", "--once", env=env)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    # The loop worked in its own worktree, on the sprint branch, and ended clean.
    tree = work(repo)
    assert tree == repo / ".loopd/worktrees/s1"
    assert git(tree, "branch", "--show-current").startswith("loop-v2/s1-")
    assert git(tree, "status", "--porcelain") == ""
    assert state(repo).exit_code == 0
    # The sprint documents went along and are in the branch's history.
    assert "carried 2 sprint file(s)" in done.stdout
    assert git(tree, "log", "--format=%s", "--", f"{SPRINT_DIR}/VISION.md").strip()
    # The user's checkout is as they left it: on main, the edit, the docs, nothing stashed.
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == status
    assert (repo / "README.md").read_text() == "# project\n\nhalf-written notes\n"
    assert ".loopd/" in (repo / ".gitignore").read_text()
    assert git(repo, "stash", "list") == ""
