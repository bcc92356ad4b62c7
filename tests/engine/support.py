"""Real-but-local implementations of the engine's ports for engine tests.

The agent is the real runner with the replay backend (a real child process);
git is the real repo; the services and test-engine ports get the smallest
honest implementations (no services; tests with a cmd run it for real).
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from loopd import proc
from loopd.agents import AgentRunner
from loopd.checklist import Status
from loopd.clock import SystemClock
from loopd.config import Config, default_config
from loopd.engine.context import Context
from loopd.engine.ports import (
    BranchInfo,
    CommitInfo,
    IterationOutcome,
    ServiceSnapshot,
    SweepOutcome,
)
from loopd.events import EventLog
from loopd.sprint import Sprint, locate
from loopd.state import load_state


class LocalGit:
    def __init__(self, repo: Path) -> None:
        self.repo = repo

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.repo, check=True, capture_output=True, text=True
        ).stdout.strip()

    def setup_branch(self, sprint: str, keep: Iterable[Path] = ()) -> BranchInfo:
        branch = f"loop-v2/{sprint}-test"
        if self._git("branch", "--show-current") != branch:
            self._git("checkout", "-q", "-B", branch)
        return BranchInfo(branch)

    def ensure_gitignore(self) -> list[str]:
        return []

    def auto_commit(self, message: str) -> CommitInfo | None:
        self._git("add", "-A")
        if not self._git("status", "--porcelain"):
            return None
        self._git("commit", "-q", "-m", message)
        return CommitInfo(self._git("rev-parse", "HEAD"))

    def head(self) -> str | None:
        return self._git("rev-parse", "HEAD")


class NoServices:
    def start_all(self) -> ServiceSnapshot:
        return ServiceSnapshot()

    def check(self) -> ServiceSnapshot:
        return ServiceSnapshot()

    def stop_all(self) -> None:
        return None


class CommandTests:
    """Runs each pending test's *(cmd: ...)*; pass -> [x], else [B] after the limit."""

    def iteration(self, ctx: Context) -> IterationOutcome:
        test = ctx.tests().next_test()
        if test is None:
            return IterationOutcome("done")
        ok = test.cmd is not None and proc.run(["bash", "-c", test.cmd], cwd=ctx.sprint.repo).ok
        if ok:
            ctx.edit_tests(lambda c: c.set_status(test.id, Status.DONE))
            ctx.commit("testing", f"{test.id} passes")
            return IterationOutcome("continue", test.id, "PASS")
        attempts = ctx.state.attempts(test.id) + 1
        ctx.update(ctx.state.with_attempts(test.id, attempts).evolve(working_on=test.id))
        if attempts >= ctx.config.limits.max_test_fix_attempts:
            ctx.edit_tests(lambda c: c.set_status(test.id, Status.BLOCKED))
        return IterationOutcome("continue", test.id, "FAIL")

    def sweep(self, ctx: Context, trigger: str) -> SweepOutcome:
        return SweepOutcome(checked=0)


def with_limits(config: Config, **limits: Any) -> Config:
    return dataclasses.replace(config, limits=dataclasses.replace(config.limits, **limits))


def with_budgets(config: Config, **budgets: Any) -> Config:
    return dataclasses.replace(config, budgets=dataclasses.replace(config.budgets, **budgets))


def replay_config(script: Path, **limits: Any) -> Config:
    base = default_config()
    agent = dataclasses.replace(base.agent, backend="replay", replay_script=script)
    config = dataclasses.replace(base, agent=agent)
    return with_limits(config, **limits) if limits else config


def write_script(repo: Path, rules: list[dict[str, Any]]) -> Path:
    path = repo / ".loopd" / "replay.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"rules": rules}, sort_keys=False))
    return path


def context(repo: Path, config: Config, notes: list[str] | None = None) -> Context:
    sprint: Sprint = locate(repo, "docs/sprints", "s1")
    events = EventLog(sprint.runtime / "events.jsonl")
    runs = sprint.runtime / "runs" / "test"
    return Context(
        sprint=sprint,
        config=config,
        state=load_state(sprint.state_file),
        agents=AgentRunner(config, sprint, runs, events),
        git=LocalGit(repo),
        services=NoServices(),
        tests_engine=CommandTests(),
        events=events,
        clock=SystemClock(),
        report=(notes.append if notes is not None else lambda _: None),
    )
