"""Who listens on a TCP port: ``/proc/net/tcp{,6}`` for the socket, ``/proc/*/fd`` for its owner."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

LISTEN = "0A"
PROC = Path("/proc")


@dataclass(frozen=True)
class Holder:
    """A process listening on a port."""

    pid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.command})"


def holders(port: int) -> tuple[Holder, ...]:
    """The processes listening on ``port`` that this user can see, lowest pid first."""
    inodes = listening_inodes(port)
    if not inodes:
        return ()
    targets = {f"socket:[{inode}]" for inode in inodes}
    return tuple(Holder(pid, command_line(pid)) for pid in _pids() if _holds(pid, targets))


def listening_inodes(port: int) -> set[str]:
    """Inodes of the sockets listening on ``port`` (IPv4 and IPv6)."""
    found: set[str] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
            found |= {f[9] for f in map(str.split, lines) if _listens_on(f, port)}
    return found


def _listens_on(fields: list[str], port: int) -> bool:
    return len(fields) > 9 and fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port


def _pids() -> list[int]:
    return sorted(int(entry.name) for entry in os.scandir(PROC) if entry.name.isdigit())


def _holds(pid: int, targets: set[str]) -> bool:
    try:
        fds = os.scandir(PROC / str(pid) / "fd")
    except OSError:
        return False
    with fds:
        for fd in fds:
            with contextlib.suppress(OSError):
                if str(Path(fd.path).readlink()) in targets:
                    return True
    return False


def command_line(pid: int) -> str:
    """``pid``'s command line, or its name when it has none (a kernel thread, a zombie)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
        if raw:
            return " ".join(
                part.decode(errors="replace") for part in raw.rstrip(b"\0").split(b"\0")
            )
        return (PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"
