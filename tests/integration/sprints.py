"""Fixture sprints (tests/fixtures/sprints/<name>/) installed into real git repos, run by the CLI.

Each fixture is a small project: its sprint documents, a replay script
(``.loopd/replay.yaml``) and config (``.loopd/config.yaml``).  ``install``
copies one into a repo and commits it on main; ``loopd`` runs the real CLI
as a separate process, as a user (or the daemon) would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loopd.sprint import worktree_path
from loopd.state import LoopState, load_state
from tests.conftest import git

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sprints"
SPRINT = "docs/sprints/s1"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def install(repo: Path, name: str, **config: Any) -> Path:
    """Copy fixture ``name`` into ``repo`` (``config`` merged into its config) and commit it."""
    shutil.copytree(FIXTURES / name, repo, dirs_exist_ok=True)
    path = repo / ".loopd" / "config.yaml"
    data = _merge(yaml.safe_load(path.read_text()) or {}, config)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (repo / ".gitignore").write_text(".loopd/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"sprint fixture {name}")
    return repo / SPRINT


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Ours, without LOOPD_ settings a developer may have exported, plus ``extra``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LOOPD_")}
    return {**base, **(extra or {})}


def argv(repo: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "loopd", "-C", str(repo), *args]


def loopd(
    repo: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``loopd -C repo args...`` as a separate process."""
    return subprocess.run(
        argv(repo, *args),
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(env),
    )


def work(repo: Path, sprint: str = "s1") -> Path:
    """Where the loop works: the sprint's worktree once a run made it, else ``repo`` (in place).

    Runtime files (``.loopd/<sprint>/``) stay in ``repo``; the sprint's
    documents and the code the agents wrote are here.
    """
    tree = worktree_path(repo, sprint)
    return tree if (tree / ".git").is_file() else repo


def sprint_dir(repo: Path, sprint: str = "s1") -> Path:
    """The sprint's directory where the loop works (see :func:`work`)."""
    return work(repo, sprint) / "docs" / "sprints" / sprint


def events(repo: Path) -> list[dict[str, Any]]:
    path = repo / ".loopd" / "s1" / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def prompts(repo: Path) -> list[str]:
    """The agent calls made, in order, as ``prompt`` or ``prompt:vrc``."""
    return [
        e["prompt"] + (f":{e['vrc']}" if e.get("vrc") else "")
        for e in events(repo)
        if e["type"] == "agent"
    ]


def notes(repo: Path) -> list[str]:
    return [e["message"] for e in events(repo) if e["type"] == "note"]


def visited(repo: Path) -> list[str]:
    """Every state the loop entered, in order."""
    return [e["dest"] for e in events(repo) if e["type"] == "transition"]


def state(repo: Path) -> LoopState:
    """LOOP_STATE.md, or its archived copy after a full success."""
    live = sprint_dir(repo) / "LOOP_STATE.md"
    if live.exists():
        return load_state(live)
    archived = sorted((repo / ".loopd" / "s1" / "archive").glob("LOOP_STATE-*.md"))
    assert archived, "no LOOP_STATE.md, live or archived"
    return load_state(archived[-1])


def text(repo: Path, name: str) -> str:
    path = sprint_dir(repo) / name
    return path.read_text() if path.exists() else ""


@dataclass(frozen=True)
class Outcome:
    """What a finished sprint left behind, to compare two runs of it."""

    code: int
    plan: str
    tests: str
    gates: frozenset[str]
    counters: dict[str, int]
    iteration: int
    loop_iteration: int
    cost_usd: float
    exit_code: int | None


def outcome(repo: Path, code: int) -> Outcome:
    final = state(repo)
    return Outcome(
        code=code,
        plan=text(repo, "IMPLEMENTATION_PLAN.md"),
        tests=text(repo, "BETA_TEST_PLAN_v1.md"),
        gates=final.gates,
        counters=dict(final.counters),
        iteration=final.iteration,
        loop_iteration=final.loop_iteration,
        cost_usd=round(final.cost_usd, 6),
        exit_code=final.exit_code,
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, poll: float = 0.005) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True
