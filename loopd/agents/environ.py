"""The variables loop-v2 exported to every agent call, with this run's values.

Custom prompts and the tools agents run rely on them (``cat "$PLAN_FILE"``,
``curl localhost:$LOOP_BACKEND_PORT$LOOP_BACKEND_HEALTH``): the sprint's
paths, the settings under their bash names, ``LOOP_ROOT``, ``PROJECT_ROOT``
and the branch the loop works on.  loopd's own ``LOOPD_*`` variables come on
top (see :mod:`loopd.agents.runner`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from loopd import proc
from loopd.config import Config
from loopd.config.exported import agent_variables
from loopd.sprint import Sprint

GIT_TIMEOUT = 10.0
# Claude Code refuses to start when it believes it is nested in itself.
DROPPED_VARS = ("CLAUDECODE",)


def probe_environment(config: Config, base: Mapping[str, str]) -> dict[str, str]:
    """What a readiness probe runs with: the agent's environment before any call's own
    variables (``base`` minus ``CLAUDECODE``, plus what loop-config.sh exported, where
    an ``ANTHROPIC_API_KEY`` may be)."""
    env = {key: value for key, value in base.items() if key not in DROPPED_VARS}
    env.update(config.exports)
    return env


def loop_v2_variables(config: Config, sprint: Sprint) -> dict[str, str]:
    """``SPRINT``, ``PLAN_FILE``, ..., ``LOOP_BACKEND_PORT``, ..., and ``BRANCH_NAME``."""
    found = agent_variables(config, sprint)
    branch = current_branch(sprint.repo)
    if branch is not None:
        found["BRANCH_NAME"] = branch
    return found


def current_branch(repo: Path) -> str | None:
    """The checked-out branch, read afresh (the loop may have switched); None if there is none."""
    argv = ["git", "symbolic-ref", "-q", "--short", "HEAD"]
    try:
        done = proc.run(argv, cwd=repo, timeout=GIT_TIMEOUT)
    except OSError:
        return None
    branch = done.stdout.strip()
    return branch if done.returncode == 0 and branch else None
