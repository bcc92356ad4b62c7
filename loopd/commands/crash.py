"""What happens on a bug: a short message on stderr, the traceback in a log."""

from __future__ import annotations

import datetime
import tempfile
import traceback
from pathlib import Path
from types import TracebackType

import click

CRASH_LOG = Path(tempfile.gettempdir()) / "loopd-crash.log"
EXIT_CRASH = 1

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


def report(exc_info: ExcInfo, log: Path = CRASH_LOG) -> int:
    """Append the traceback to ``log`` and tell the user where it is."""
    _, exc, _ = exc_info
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(*exc_info))
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {stamp}\n{text}\n")
    click.echo(f"loopd: internal error: {type(exc).__name__}: {exc}", err=True)
    click.echo(f"loopd: the traceback is in {log}; please report it", err=True)
    return EXIT_CRASH
