"""What happens on a bug: a short message on stderr, the traceback in a log."""

from __future__ import annotations

import datetime
import os
import traceback
from pathlib import Path
from types import TracebackType

import click

EXIT_CRASH = 1

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


def crash_log() -> Path:
    """``$XDG_STATE_HOME/loopd/crash.log`` (default ``~/.local/state/loopd/crash.log``)."""
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "loopd" / "crash.log"


def report(exc_info: ExcInfo) -> int:
    """Append the traceback to the crash log and tell the user where it is."""
    _, exc, _ = exc_info
    log = crash_log()
    log.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(*exc_info))
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {stamp}\n{text}\n")
    click.echo(f"loopd: internal error: {type(exc).__name__}: {exc}", err=True)
    click.echo(f"loopd: the traceback is in {log}; please report it", err=True)
    return EXIT_CRASH
