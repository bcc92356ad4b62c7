"""Choosing the backend the config names, with its binary and extra arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from loopd.agents.aider import AiderBackend
from loopd.agents.base import Backend
from loopd.agents.claude import ClaudeBackend
from loopd.agents.codex import CodexBackend
from loopd.agents.command import CommandBackend
from loopd.agents.environ import probe_environment
from loopd.agents.gemini import GeminiBackend
from loopd.agents.readiness import Readiness
from loopd.agents.replay_backend import ReplayBackend
from loopd.config import Config
from loopd.errors import LoopdError
from loopd.sprint import Sprint

BINARY_BACKENDS: dict[str, Callable[..., Backend]] = {
    "claude": ClaudeBackend,
    "codex": CodexBackend,
    "gemini": GeminiBackend,
    "aider": AiderBackend,
}
REPLAY_STATE = "replay-state.json"


def make_backend(config: Config, sprint: Sprint) -> Backend:
    """The configured backend; a LoopdError when its settings cannot work."""
    return _backend(config, sprint.repo, sprint.runtime / REPLAY_STATE)


def readiness(
    config: Config, repo: Path, environ: Mapping[str, str], sprint: Sprint | None = None
) -> Readiness:
    """Whether the configured agent can run here, probed as its calls will be started
    (cwd = repo root, our environment with the config's exports); settings that
    cannot work are a failed readiness too."""
    # Only a replay call writes its state file; a probe never does.
    runtime = sprint.runtime if sprint is not None else repo / ".loopd"
    try:
        backend = _backend(config, repo, runtime / REPLAY_STATE)
    except LoopdError as exc:
        return Readiness(False, exc.located, exc.hint or "fix the agent settings")
    return backend.readiness(probe_environment(config, environ), repo)


def _backend(config: Config, repo: Path, replay_state: Path) -> Backend:
    agent = config.agent
    name = agent.backend
    if name in BINARY_BACKENDS:
        return BINARY_BACKENDS[name](
            binary=agent.binaries.get(name, name),
            extra_args=tuple(agent.extra_args.get(name, ())),
            skip_permissions=agent.skip_permissions,
        )
    if name == "command":
        return CommandBackend.from_template(agent.command)
    if name == "replay":
        if agent.replay_script is None:
            raise LoopdError(
                "agent backend 'replay' needs agent.replay_script",
                hint="point it at a replay script (see loopd.agents.replay)",
            )
        return ReplayBackend.load(repo / agent.replay_script, replay_state)
    raise LoopdError(
        f"unknown agent backend {name!r}",
        hint=f"use one of: {', '.join(BINARY_BACKENDS)}, command, replay",
    )
