"""The user's checkout is theirs: the loop works in a worktree of its own, through the real CLI.

A real repo holds a user's uncommitted edit, a staged change and an
untracked file.  By default the sprint converges on its branch in
``.loopd/worktrees/<sprint>`` and the checkout stays byte-identical (branch,
index, staged and unstaged diffs, every file, the stash list); ``--in-place``
works in the checkout as loop-v2 did, and the restore ``start`` prints brings
everything back exactly.  Two sprints run side by side.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import yaml

from loopd.sprint import worktree_path
from tests.cli import run_cli
from tests.conftest import git
from tests.integration.sprints import FIXTURES, SPRINT, install, loopd, state, wait_for

# The fixture's config, from outside the repo: the user's .loopd/ stays empty.
AGENT = {"LOOPD_AGENT_BACKEND": "replay", "LOOPD_SPOT_CHECK_PROBABILITY": "0"}
GREETING = "def greet():\n    return 'hello'\n"


def _snapshot(repo: Path) -> dict[str, Any]:
    """Everything of the user's checkout a loop could disturb (loopd's own .loopd/ aside)."""
    files = {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and p.relative_to(repo).parts[0] not in (".git", ".loopd")
    }
    return {
        "branch": git(repo, "branch", "--show-current"),
        "head": git(repo, "rev-parse", "HEAD"),
        "index": git(repo, "ls-files", "-s"),
        "staged": git(repo, "diff", "--cached"),
        "unstaged": git(repo, "diff"),
        "status": git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
        "stash": git(repo, "stash", "list"),
        "files": files,
    }


def _user_repo(repo: Path, tmp_path: Path, gitignore: str) -> dict[str, str]:
    """The greeter sprint committed on main, then the user's own work on top; the agent's env."""
    install(repo, "greeter")
    script = tmp_path / "agent.yaml"  # outside the repo, like the rest of the config
    shutil.copy(FIXTURES / "greeter/.loopd/replay.yaml", script)
    shutil.rmtree(repo / ".loopd")
    (repo / ".gitignore").write_text(gitignore)
    git(repo, "commit", "-qam", "the user's own .gitignore")
    (repo / "README.md").write_text("# project\n\nhalf-written notes\n")  # uncommitted edit
    (repo / "check_greet.py").write_text((repo / "check_greet.py").read_text() + "# staged\n")
    (repo / "plan.txt").write_text("staged, never committed\n")
    git(repo, "add", "check_greet.py", "plan.txt")  # a staged change and a staged new file
    (repo / "check_greet.py").write_text((repo / "check_greet.py").read_text() + "# unstaged\n")
    (repo / "notes").mkdir()
    (repo / "notes" / "todo.txt").write_text("call the bank\n")  # untracked
    return {**AGENT, "LOOPD_AGENT_REPLAY_SCRIPT": str(script)}


def _ended(repo: Path, sprint: str = "s1") -> bool:
    data = json.loads(run_cli(repo, "status", sprint, "--json").out)
    return data["daemon"] is None


def test_the_sprint_converges_in_its_worktree_and_the_checkout_is_untouched(
    repo: Path, tmp_path: Path
) -> None:
    env = _user_repo(repo, tmp_path, "node_modules/\n")
    before = _snapshot(repo)

    started = loopd(repo, "start", "s1", "--once", env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "the loop works in its own worktree .loopd/worktrees/s1 on branch loop-v2/s1-" in (
        started.stdout
    )
    assert wait_for(lambda: _ended(repo), timeout=120)

    tree = worktree_path(repo, "s1")
    assert state(repo).exit_code == 0  # converged (the state archived)
    assert (tree / "greet.py").read_text() == GREETING
    branch = git(tree, "branch", "--show-current")
    assert branch.startswith("loop-v2/s1-") and git(tree, "status", "--porcelain") == ""
    assert "loopd(implement): BUILD-002 done" in git(repo, "log", "--format=%s", branch.strip())
    # The checkout: same branch, index, diffs, files and stash list, byte for byte.
    assert _snapshot(repo) == before
    assert not (repo / "greet.py").exists()
    # .loopd/ is kept out of git status without touching the user's .gitignore.
    assert "/.loopd/" in (repo / ".git/info/exclude").read_text()


def test_a_restart_reuses_its_worktree_and_branch(repo: Path, tmp_path: Path) -> None:
    env = _user_repo(repo, tmp_path, "node_modules/\n")
    first = loopd(repo, "run", "s1", env={**env, "LOOPD_BUDGETS_MAX_AGENT_CALLS": "3"})
    assert first.returncode == 1, first.stdout + first.stderr
    tree = worktree_path(repo, "s1")
    branch = git(tree, "branch", "--show-current")
    before = _snapshot(repo)

    again = loopd(repo, "run", "s1", env=env)

    assert again.returncode == 0, again.stdout + again.stderr
    assert f"its own worktree .loopd/worktrees/s1 on branch {branch.strip()} (resumed)" in (
        again.stdout
    )
    assert git(tree, "branch", "--show-current") == branch
    assert git(repo, "worktree", "list").count("\n") == 2  # the checkout and the one worktree
    assert (tree / "greet.py").read_text() == GREETING and _snapshot(repo) == before


def test_uncommitted_sprint_documents_are_carried_and_said_once(repo: Path, tmp_path: Path) -> None:
    script = tmp_path / "agent.yaml"
    shutil.copy(FIXTURES / "greeter/.loopd/replay.yaml", script)
    shutil.copy(FIXTURES / "greeter/check_greet.py", repo)
    git(repo, "add", "check_greet.py")
    git(repo, "commit", "-q", "-m", "project")
    assert loopd(repo, "init", "s1").returncode == 0  # templates, and .loopd/ in .gitignore
    for name in ("VISION.md", "PRD.md"):
        shutil.copy(FIXTURES / "greeter" / SPRINT / name, repo / SPRINT / name)
    before = _snapshot(repo)
    env = {**AGENT, "LOOPD_AGENT_REPLAY_SCRIPT": str(script)}

    started = loopd(repo, "start", "s1", "--once", env=env)

    assert started.returncode == 0, started.stdout + started.stderr
    said = [line for line in started.stdout.splitlines() if line.startswith("carried ")]
    assert len(said) == 1, started.stdout
    assert f"{SPRINT}/PRD.md, {SPRINT}/VISION.md" in said[0]
    assert wait_for(lambda: _ended(repo), timeout=120)
    assert state(repo).exit_code == 0
    log = (repo / ".loopd/s1/daemon.log").read_text()
    assert "carried " not in log  # told once: by start, not again by the daemon
    tree = worktree_path(repo, "s1")
    assert git(tree, "log", "--format=%s", "--", f"{SPRINT}/VISION.md").strip()
    assert (tree / SPRINT / "VISION.md").read_bytes() == (repo / SPRINT / "VISION.md").read_bytes()
    assert _snapshot(repo) == before  # still uncommitted in the checkout, as the user left them


def test_in_place_restore_brings_everything_back_exactly(repo: Path, tmp_path: Path) -> None:
    # A tracked .gitignore the loop appends to, and a .gitignore edit of the user's own.
    env = _user_repo(repo, tmp_path, "node_modules/\n")
    with (repo / ".gitignore").open("a") as out:
        out.write("dist/\n")
    before = _snapshot(repo)

    started = loopd(repo, "start", "s1", "--once", "--in-place", env=env)

    assert started.returncode == 0, started.stdout + started.stderr
    restore = next(line for line in started.stdout.splitlines() if "git stash apply" in line)
    command = restore[restore.index("git switch") :]
    assert wait_for(lambda: _ended(repo), timeout=120)
    assert state(repo).exit_code == 0 and state(repo).stashed == command
    assert git(repo, "branch", "--show-current").startswith("loop-v2/s1-")
    assert (repo / "greet.py").read_text() == GREETING
    assert git(repo, "status", "--porcelain") == ""  # the .gitignore edit was committed too

    subprocess.run(["bash", "-c", command], cwd=repo, check=True, capture_output=True)

    after = _snapshot(repo)
    # The stash stays (applied, not dropped): the one new entry is loopd's.
    new = after.pop("stash").removesuffix(before.pop("stash"))
    assert new.count("\n") == 1 and "loopd: uncommitted work on main" in new
    assert after == before


def _paused(script: Path, gate: Path) -> dict[str, Any]:
    """The greeter's script whose first call waits for ``gate`` (a file) to appear."""
    data = yaml.safe_load((FIXTURES / "greeter/.loopd/replay.yaml").read_text())
    wait = f"touch {gate.parent}/$LOOPD_SPRINT.waiting; while [ ! -f {gate} ]; do sleep 0.02; done"
    rule = {"name": "paused", "when": {"prompt": "vrc", "vrc": "vrc1"}, "do": [{"run": wait}]}
    data["rules"].insert(0, rule)
    script.write_text(yaml.safe_dump(data, sort_keys=False))
    return data


def test_two_sprints_of_one_repo_run_side_by_side(repo: Path, tmp_path: Path) -> None:
    env = _user_repo(repo, tmp_path, "node_modules/\n")
    shutil.copytree(repo / SPRINT, repo / "docs/sprints/s2")
    git(repo, "add", "docs/sprints/s2")
    git(repo, "commit", "-q", "-m", "a second sprint")
    script, gate = tmp_path / "paused.yaml", tmp_path / "go"
    _paused(script, gate)
    env["LOOPD_AGENT_REPLAY_SCRIPT"] = str(script)
    before = _snapshot(repo)

    for sprint in ("s1", "s2"):
        started = loopd(repo, "start", sprint, "--once", env=env)
        assert started.returncode == 0, started.stdout + started.stderr
    both = [tmp_path / f"{s}.waiting" for s in ("s1", "s2")]
    assert wait_for(lambda: all(p.exists() for p in both), timeout=60)

    listing = run_cli(repo, "status")
    assert listing.code == 0, listing.err
    rows = {line.split()[0]: line for line in listing.out.splitlines()}
    assert "running (pid" in rows["s1"] and "running (pid" in rows["s2"]
    data = json.loads(run_cli(repo, "status", "--json").out)["sprints"]
    pids = {s["sprint"]: s["daemon"]["pid"] for s in data}
    assert pids["s1"] != pids["s2"]

    gate.write_text("")
    assert wait_for(lambda: _ended(repo, "s1") and _ended(repo, "s2"), timeout=120)
    branches = {}
    for sprint in ("s1", "s2"):
        tree = worktree_path(repo, sprint)
        assert (tree / "greet.py").read_text() == GREETING
        branches[sprint] = git(tree, "branch", "--show-current").strip()
        assert branches[sprint].startswith(f"loop-v2/{sprint}-")
        shown = run_cli(repo, "status", sprint).out
        assert f"worktree   .loopd/worktrees/{sprint}  (branch {branches[sprint]})" in shown
    listing = run_cli(repo, "status").out
    assert "running" not in listing and listing.count(".loopd/worktrees/s") == 2, listing
    assert _snapshot(repo) == before


def test_in_place_restore_works_after_a_loop_that_stopped_before_any_commit(
    repo: Path, tmp_path: Path
) -> None:
    # The agent faults at its first call: the loop's only change is its .gitignore edit.
    env = _user_repo(repo, tmp_path, "node_modules/\n")
    with (repo / ".gitignore").open("a") as out:
        out.write("dist/\n")
    faulty = {
        "rules": [
            {
                "name": "logged-out",
                "do": [{"result": {"is_error": True, "text": "Invalid API key"}}],
            }
        ]
    }
    (tmp_path / "agent.yaml").write_text(yaml.safe_dump(faulty))
    env["LOOPD_RETRIES_ATTEMPTS"] = "0"
    before = _snapshot(repo)

    done = loopd(repo, "run", "s1", "--in-place", env=env)

    assert done.returncode == 1, done.stdout + done.stderr
    restore = next(line for line in done.stdout.splitlines() if "git stash apply" in line)
    command = restore[restore.index("git switch") :]
    bash = ["bash", "-c", command]
    applied = subprocess.run(bash, check=False, cwd=repo, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    after = _snapshot(repo)
    after.pop("stash"), before.pop("stash")
    # What the loop left is its own state, kept for the next run to resume from.
    state_file = f"{SPRINT}/LOOP_STATE.md"
    assert b"Invalid API key" in after["files"].pop(state_file)
    after["status"] = after["status"].replace(f"?? {state_file}\n", "")
    assert after == before


def test_a_daemon_killed_mid_run_leaves_the_checkout_untouched(repo: Path, tmp_path: Path) -> None:
    env = _user_repo(repo, tmp_path, "node_modules/\n")
    script, gate = tmp_path / "paused.yaml", tmp_path / "go"
    _paused(script, gate)
    before = _snapshot(repo)
    paused = {**env, "LOOPD_AGENT_REPLAY_SCRIPT": str(script)}
    started = loopd(repo, "start", "s1", "--once", env=paused)
    assert started.returncode == 0, started.stdout + started.stderr
    assert wait_for((tmp_path / "s1.waiting").exists, timeout=60)

    pid = json.loads(run_cli(repo, "status", "s1", "--json").out)["daemon"]["pid"]
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: _ended(repo), timeout=30)
    assert _snapshot(repo) == before

    again = loopd(repo, "run", "s1", env=env)  # reaps the orphaned agent, resumes, converges
    assert again.returncode == 0, again.stdout + again.stderr
    assert (worktree_path(repo, "s1") / "greet.py").read_text() == GREETING
    assert _snapshot(repo) == before


def test_a_checkout_left_on_the_sprints_loop_branch_is_worked_in_place(repo: Path) -> None:
    # loop-v2 left the user on its branch; git allows a branch in one worktree only.
    install(repo, "greeter")
    git(repo, "switch", "-q", "-c", "loop-v2/s1-20250101-090000")

    done = loopd(repo, "run", "s1")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "your checkout is on the sprint's branch loop-v2/s1-20250101-090000" in done.stdout
    assert not worktree_path(repo, "s1").exists()
    assert (repo / "greet.py").read_text() == GREETING
    assert git(repo, "branch", "--show-current") == "loop-v2/s1-20250101-090000\n"
