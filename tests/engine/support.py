"""Real-but-local implementations of the engine's ports for engine tests.

The agent is the real runner with the replay backend (a real child process);
git is the real repo; the services and test-engine ports get the smallest
honest implementations (no services; tests with a cmd run it for real).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from loopd import proc
from loopd.agents import AgentRequest, AgentResult, AgentRunner
from loopd.agents.command import parse_json_or_plain
from loopd.agents.replay import Performer, pick
from loopd.agents.replay_script import Call, load_script
from loopd.checklist import Status
from loopd.clock import SystemClock
from loopd.commands.regression import NoServices
from loopd.config import Config, default_config
from loopd.engine.context import Context
from loopd.engine.ports import (
    BranchInfo,
    CommitInfo,
    IterationOutcome,
    SweepOutcome,
    TestEngine,
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

    def begin_step(self, step: str, *, resumed: bool = False) -> None:
        pass

    def auto_commit(self, message: str) -> CommitInfo | None:
        self._git("add", "-A")
        if not self._git("status", "--porcelain"):
            return None
        self._git("commit", "-q", "-m", message)
        return CommitInfo(self._git("rev-parse", "HEAD"))

    def head(self) -> str | None:
        return self._git("rev-parse", "HEAD")


class InlineReplay:
    """The replay agent's rules carried out in this process: the same script, no child.

    For engine tests that make hundreds of calls (the stuck detector, crash
    points, benchmarks), where a Python start per call would dominate.  The
    call's environment is the agent contract's, set for the call's duration.
    """

    def __init__(self, script: Path, sprint: Sprint, events: EventLog) -> None:
        self.script = load_script(script)
        self.sprint = sprint
        self.events = events
        self.run_dir = sprint.runtime / "runs" / "inline"
        self.state = sprint.runtime / "replay-state.json"
        self.calls = 0

    def environment(self, request: AgentRequest) -> dict[str, str]:
        env = {
            "LOOPD_ROLE": request.role,
            "LOOPD_PROMPT": request.prompt_name,
            "LOOPD_SPRINT": self.sprint.name,
            "LOOPD_SPRINT_DIR": str(self.sprint.dir),
            "LOOPD_RUN_DIR": str(self.run_dir),
            "LOOPD_TASK_ID": request.task_id or "",
            "LOOPD_TEST_ID": request.test_id or "",
            "LOOPD_ATTEMPT": "" if request.attempt is None else str(request.attempt),
        }
        return env | ({"LOOPD_VRC": request.vrc} if request.vrc else {})

    def call(self, request: AgentRequest) -> AgentResult:
        self.calls += 1
        env = self.environment(request)
        rule = pick(self.script, Call(env=env, prompt=request.prompt), self.state)
        assert rule is not None, f"no replay rule for {request.describe()}"
        out = io.StringIO()
        with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(out):
            code = Performer(env, self.sprint.repo).perform(rule)
        completed = proc.Completed((), code, out.getvalue(), "", 0.0)
        parsed = parse_json_or_plain(completed)
        base = self.run_dir / f"{self.calls:03d}-{request.role}-{request.ident}"
        base.parent.mkdir(parents=True, exist_ok=True)
        base.with_name(base.name + ".prompt.md").write_text(request.prompt)
        base.with_name(base.name + ".out").write_text(completed.stdout)
        self.events.append(
            "agent", role=request.role, prompt=request.prompt_name, task=request.task_id,
            test=request.test_id, vrc=request.vrc, outcome="ok" if parsed.ok else "work_failed",
            cost_usd=parsed.cost_usd, duration=0.0,
        )  # fmt: skip
        return AgentResult(
            ok=parsed.ok, text=parsed.text, output=completed.stdout, stderr="",
            returncode=code, timed_out=False, duration=0.0, cost_usd=parsed.cost_usd,
            session_id=None, num_turns=None, permission_denials=(), fault=None,
            prompt_file=base.with_name(base.name + ".prompt.md"),
            output_file=base.with_name(base.name + ".out"), attempts=1,
        )  # fmt: skip


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


def context(
    repo: Path,
    config: Config,
    notes: list[str] | None = None,
    *,
    inline: bool = False,
    kind: type[Context] = Context,
    tests_engine: TestEngine | None = None,
) -> Context:
    """A ``kind`` of context on sprint s1 of ``repo``; ``inline``: the replay agent in-process."""
    sprint: Sprint = locate(repo, "docs/sprints", "s1")
    events = EventLog(sprint.runtime / "events.jsonl")
    runs = sprint.runtime / "runs" / "test"
    script = config.agent.replay_script
    agents = (
        InlineReplay(repo / script, sprint, events)
        if inline and script is not None
        else AgentRunner(config, sprint, runs, events)
    )
    return kind(
        sprint=sprint,
        config=config,
        state=load_state(sprint.state_file),
        agents=agents,
        git=LocalGit(repo),
        services=NoServices(),
        tests_engine=tests_engine or CommandTests(),
        events=events,
        clock=SystemClock(),
        report=(notes.append if notes is not None else lambda _: None),
    )
