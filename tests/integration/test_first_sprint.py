"""The README's path for a first sprint on your own repo, through the real CLI.

init, write VISION and PRD, run: on a main branch with uncommitted work of
the user's own (and loopd init's .gitignore edit), exactly as a newcomer has it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import git
from tests.integration.sprints import FIXTURES, loopd, state

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
    done = loopd(repo, "run", "s1", "--once", env=env)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert git(repo, "branch", "--show-current").startswith("loop-v2/s1-")
    assert git(repo, "status", "--porcelain") == ""
    # The sprint documents went along and are in the branch's history.
    assert git(repo, "log", "--format=%s", "--", f"{SPRINT_DIR}/VISION.md").strip()
    # The user's edit was stashed, not lost, and the printed command restores it.
    restore = next(line for line in done.stdout.splitlines() if "git stash apply" in line)
    command = restore[restore.index("git switch") :]
    assert state(repo).stashed == command  # kept in LOOP_STATE.md, shown by status
    subprocess.run(["bash", "-c", command], cwd=repo, check=True)
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert (repo / "README.md").read_text() == "# project\n\nhalf-written notes\n"
    assert ".loopd/" in (repo / ".gitignore").read_text()
