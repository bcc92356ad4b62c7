"""Choosing the backend the config names, with its binary and extra arguments."""

from __future__ import annotations

from collections.abc import Callable

from loopd.agents.aider import AiderBackend
from loopd.agents.base import Backend
from loopd.agents.claude import ClaudeBackend
from loopd.agents.codex import CodexBackend
from loopd.agents.command import CommandBackend
from loopd.agents.gemini import GeminiBackend
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
        script = sprint.repo / agent.replay_script
        return ReplayBackend.load(script, sprint.runtime / REPLAY_STATE)
    raise LoopdError(
        f"unknown agent backend {name!r}",
        hint=f"use one of: {', '.join(BINARY_BACKENDS)}, command, replay",
    )
