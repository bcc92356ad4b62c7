"""One module per subcommand; each exposes a typed function returning an exit code."""

from __future__ import annotations

from loopd.errors import LoopdError


def unavailable(command: str, lands_with: str) -> int:
    """Refuse loudly a command whose implementation has not landed yet."""
    raise LoopdError(f"`loopd {command}` is not available yet: it lands with {lands_with}")
