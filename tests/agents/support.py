"""Helpers for the agent tests: configs, a recording clock, fake agent binaries."""

from __future__ import annotations

import datetime
import os
import stat
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loopd.agents import AgentRunner
from loopd.config import Config, FrozenMap, default_config
from loopd.events import EventLog
from loopd.sprint import Sprint, locate


@dataclass
class RecordingClock:
    """A clock that never waits and remembers every sleep."""

    sleeps: list[float] = field(default_factory=list)
    now_at: datetime.datetime = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

    def now(self) -> datetime.datetime:
        return self.now_at

    def monotonic(self) -> float:
        return sum(self.sleeps)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def config(backend: str = "claude", *, retries: int = 3, **agent: Any) -> Config:
    """Defaults, a short kill grace, ``retries`` retries and the given agent settings."""
    base = default_config()
    if "binaries" in agent:
        agent["binaries"] = FrozenMap(agent["binaries"])
    if "extra_args" in agent:
        agent["extra_args"] = FrozenMap(agent["extra_args"])
    return replace(
        base,
        agent=replace(base.agent, backend=backend, **agent),
        timeouts=replace(base.timeouts, kill_grace=0.2),
        retries=replace(base.retries, attempts=retries),
    )


def sprint_of(repo: Path) -> Sprint:
    return locate(repo, "docs/sprints", "s1")


def runner(repo: Path, cfg: Config, clock: RecordingClock | None = None, **env: str) -> AgentRunner:
    """A runner for sprint s1 of ``repo`` with run id ``r1``."""
    sprint = sprint_of(repo)
    clock = clock or RecordingClock()
    return AgentRunner(
        cfg,
        sprint,
        sprint.runtime / "runs" / "r1",
        EventLog(sprint.runtime / "events.jsonl", clock),
        clock,
        environ={**os.environ, **env},
    )


def fake_binary(directory: Path, name: str, body: str) -> Path:
    """An executable Python script ``name`` whose code is ``body``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!{sys.executable}\nimport hashlib, json, os, sys\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


# A fake agent that reports what it was given as JSON on stdout.
REPORTER = """
prompt = sys.stdin.read()
json.dump({"argv": sys.argv[1:], "stdin": prompt, "cwd": os.getcwd(),
           "env": dict(os.environ)}, sys.stdout)
"""

# Claude Code's one line on stderr when run as root with --dangerously-skip-permissions.
ROOT_REFUSAL = (
    "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons"
)
