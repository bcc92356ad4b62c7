"""Fixtures for the agent tests: a local Messages API for the real Claude Code CLI."""

from tests.fakes.messages_api import messages_api

__all__ = ["messages_api"]
