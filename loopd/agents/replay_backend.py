"""The replay backend: runs :mod:`loopd.agents.replay` as the agent process."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loopd.agents.base import Invocation, Parsed
from loopd.agents.command import parse_json_or_plain
from loopd.agents.model import AgentRequest
from loopd.agents.readiness import Readiness
from loopd.agents.replay_script import load_script
from loopd.proc import Completed

# Not imported here: ``python -m`` must find the module unimported.
AGENT_MODULE = "loopd.agents.replay"


@dataclass(frozen=True)
class ReplayBackend:
    """Runs this module as the agent, with a script validated up front."""

    script: Path
    state: Path
    name: str = "replay"
    buffers_output: bool = False

    @classmethod
    def load(cls, script: Path, state: Path) -> ReplayBackend:
        """Validate ``script`` now, so a mistake stops loopd before any agent call."""
        load_script(script)
        return cls(script=script, state=state)

    def invocation(self, request: AgentRequest, prompt_file: Path) -> Invocation:
        """``python -m loopd.agents.replay --script S --state F``, prompt on stdin."""
        argv = (sys.executable, "-m", AGENT_MODULE, "--script", str(self.script))
        return Invocation(argv=(*argv, "--state", str(self.state)))

    def parse(self, completed: Completed) -> Parsed:
        """A ``result`` action reads like Claude; anything else is plain text."""
        return parse_json_or_plain(completed)

    def readiness(self, env: Mapping[str, str], cwd: Path) -> Readiness:
        """Ready once loaded: :meth:`load` has read and validated the script."""
        return Readiness(True, f"script {self.script}")
