"""Why a service did not come up, read from its log (loop-v2's ``diagnose_and_fix_service``).

Three causes loopd can act on without an agent: the port is taken, node
modules are missing, the npm script does not exist.  Anything else goes to
the fix-service agent with the log tail as evidence.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Cause(enum.Enum):
    PORT_IN_USE = "port in use"
    MISSING_MODULES = "missing node modules"
    MISSING_SCRIPT = "missing npm script"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Diagnosis:
    cause: Cause
    port: int | None = None
    script: str | None = None


_PORT_IN_USE = re.compile(r"EADDRINUSE|address already in use|port is already allocated", re.I)
# Node: "listen EADDRINUSE: address already in use :::3001" / "127.0.0.1:8000";
# Docker: "Bind for 0.0.0.0:8080 failed: port is already allocated".
_PORT = re.compile(r"(?:in use|Bind for)\s+\S*?:(\d{1,5})\b", re.I)
_MISSING_MODULES = re.compile(
    r"MODULE_NOT_FOUND|Cannot find (?:module|package) ['\"]|ERR_MODULE_NOT_FOUND", re.I
)
# npm 7-9 "npm ERR! Missing script: \"dev\"", npm 10 "npm error Missing script: \"dev\"",
# npm 6 "npm ERR! missing script: dev".
_MISSING_SCRIPT = re.compile(r"npm (?:ERR!|error) missing script:\s*\"?([^\"\s]+)\"?", re.I)


def diagnose(log: str) -> Diagnosis:
    """The cause of a failed start, from the attempt's log text."""
    if script := _MISSING_SCRIPT.search(log):
        return Diagnosis(Cause.MISSING_SCRIPT, script=script.group(1))
    if _PORT_IN_USE.search(log):
        port = _PORT.search(log)
        return Diagnosis(Cause.PORT_IN_USE, port=int(port.group(1)) if port else None)
    if _MISSING_MODULES.search(log):
        return Diagnosis(Cause.MISSING_MODULES)
    return Diagnosis(Cause.UNKNOWN)


def tail(text: str, lines: int = 40, chars: int = 4000) -> str:
    """The last ``lines`` lines of ``text``, at most ``chars`` characters."""
    kept = "\n".join(text.rstrip().splitlines()[-lines:])
    return kept[-chars:]
