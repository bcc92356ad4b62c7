"""``loopd demo``: the example sprint, offline, start to finish, in a throwaway repo.

sprints/demo is a small real project (a word-count CLI) with its sprint
documents and a replay script for every agent role, so the whole loop runs
with no network and no model: planning through the quality gates, BUILD
tasks that write real code, a beta test plan whose tests run pytest, a
failure fixed from its evidence, a regression caught and fixed, the final
VRC.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from loopd import proc
from loopd.commands.run import run
from loopd.errors import LoopdError
from loopd.events import read_events
from loopd.resources import data_dir
from loopd.sprint import sprint_for

SPRINT = "demo"
SPRINTS_ROOT = "docs/sprints"


def demo(*, keep: Path | None) -> int:
    """Copy the demo into a fresh git repo, run its loop attached, and summarise it."""
    target = _prepare(keep)
    click.echo(f"demo repository: {target}")
    with _this_python_first():
        code = run(
            repo=target,
            sprints_root=SPRINTS_ROOT,
            sprint=SPRINT,
            watch=False,
            max_iterations=None,
            # The demo's repo is its own, made for it: working in place leaves
            # the code the agents wrote right there, in --keep DIR.
            in_place=True,
        )
    _summary(target, code)
    if keep is None and code == 0:
        click.echo("(run with --keep DIR to keep the repository)")
    return code


@contextlib.contextmanager
def _this_python_first() -> Iterator[None]:
    """``python3`` on PATH is loopd's own interpreter while the demo runs.

    The demo's tests run ``python3 -m pytest``; under pipx, or from a venv that
    is not activated, the first ``python3`` on PATH may lack pytest.  loopd's
    interpreter has it (a dependency) and its directory holds ``python3``.
    """
    before = os.environ.get("PATH")
    os.environ["PATH"] = os.pathsep.join(filter(None, [str(Path(sys.executable).parent), before]))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = before


def _prepare(keep: Path | None) -> Path:
    target = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="loopd-demo-")) / "repo"
    if target.exists() and any(target.iterdir()):
        raise LoopdError("directory is not empty", path=target, hint="give --keep a new directory")
    shutil.copytree(data_dir("sprints") / SPRINT, target, dirs_exist_ok=True)
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=loopd demo", "-c", "user.email=demo@loopd.invalid",
         "commit", "-q", "-m", "The demo project before the sprint"],
    ):  # fmt: skip
        done = proc.run(argv, cwd=target, timeout=60)
        if not done.ok:
            raise LoopdError(f"{' '.join(argv[:2])} failed: {done.output.strip()}", path=target)
    _set_identity(target)
    return target


def _set_identity(repo: Path) -> None:
    # The loop commits; the demo must not depend on the user's git identity.
    for key, value in (("user.name", "loopd demo"), ("user.email", "demo@loopd.invalid")):
        proc.run(["git", "config", key, value], cwd=repo, timeout=30)


def _events(repo: Path) -> list[dict[str, Any]]:
    return read_events(sprint_for(repo, SPRINTS_ROOT, SPRINT).events_log)


def _summary(repo: Path, code: int) -> None:
    events = _events(repo)
    roles = Counter(e.get("role", "?") for e in events if e.get("type") == "agent")
    steps = [e["source"] for e in events if e.get("type") == "transition"]
    commits = proc.run(["git", "log", "--oneline", "main.."], cwd=repo, timeout=30).stdout
    click.echo("")
    click.echo(f"exit code     {code}")
    click.echo(f"steps run     {len(steps)} ({len(set(steps))} distinct states)")
    click.echo("agent calls   " + ", ".join(f"{r} {n}" for r, n in sorted(roles.items())))
    click.echo(f"commits       {len(commits.splitlines())} on the loop branch")
    for line in commits.splitlines()[:12]:
        click.echo(f"  {line}")
    click.echo(f"logs          {repo / '.loopd' / SPRINT}")
