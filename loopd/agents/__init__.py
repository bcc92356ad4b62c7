"""Coding agents: the runner that calls them by the agent contract, and one backend per CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopd.agents.model import AgentRequest, AgentResult, Fault, InfrastructureError

if TYPE_CHECKING:
    from loopd.agents.runner import AgentRunner

__all__ = ["AgentRequest", "AgentResult", "AgentRunner", "Fault", "InfrastructureError"]


def __getattr__(name: str) -> Any:
    # The runner pulls in config, proc and every backend; the replay agent
    # (a child process importing this package) needs none of that.
    if name == "AgentRunner":
        from loopd.agents.runner import AgentRunner

        return AgentRunner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
