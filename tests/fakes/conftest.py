"""Fixtures for the fakes' own tests."""

from tests.fakes.messages_api import messages_api

__all__ = ["messages_api"]
