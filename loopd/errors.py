"""The one user-facing exception type.

Anything the user can fix (a missing file, a malformed plan, a bad config
value) is raised as :class:`LoopdError`; the top-level handler in
:mod:`loopd.main` prints it as one line and exits 1.  Everything else is a
bug and gets a traceback in the log.
"""

from __future__ import annotations

from pathlib import Path


class LoopdError(Exception):
    """A problem in the user's input or environment, reported as one line.

    ``path`` and ``line`` locate the problem (rendered ``path:line: message``
    like a compiler does, so editors can jump to it); ``hint`` says how to fix
    it and is printed after the message.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    @property
    def located(self) -> str:
        """``path:line: message``, without the hint (for a table's own "fix" column)."""
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"

    def __str__(self) -> str:
        return f"{self.located} ({self.hint})" if self.hint else self.located
