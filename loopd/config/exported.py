"""The variables loop-v2 had set and exported: for loop-config.sh and for every agent call.

loop.sh set the sprint's paths (relative to the repo root, its working
directory) and lib/config.sh the ``LOOP_*`` settings before it sourced
loop-config.sh, and every ``claude`` call inherited them.  Users' scripts and
custom prompts use them (``"Plan: ${PLAN_FILE}"``), so loopd sets the same
names in both places.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from loopd.config.schema import BY_BASH, Config
from loopd.sprint import Sprint

# Text the agent gets in its prompt already; as a variable it would only be noise.
NOT_EXPORTED = frozenset({"TEST_RUNNER_PREAMBLE"})


def sprint_variables(sprint: Sprint) -> dict[str, str]:
    """``SPRINT``, ``SPRINT_DIR``, the document paths, ``LOOP_ROOT`` and ``PROJECT_ROOT``."""
    files = {
        "VISION_FILE": sprint.vision,
        "PRD_FILE": sprint.prd,
        "ARCH_FILE": sprint.architecture,
        "PLAN_FILE": sprint.plan,
        "VALUE_CHECKLIST": sprint.value_checklist,
        "BLOCKERS_FILE": sprint.blockers,
        "STATE_FILE": sprint.state_file,
        "BETA_TEST_PLAN": sprint.beta_plan,
        "REGRESSION_LOG": sprint.regression_log,
    }
    return {
        "SPRINT": sprint.name,
        "SPRINT_DIR": sprint.relative(sprint.dir),
        **{name: sprint.relative(path) for name, path in files.items()},
        # loop-v2's own directory; a repo migrated to loopd may no longer have it.
        "LOOP_ROOT": str(sprint.repo / "loop-v2"),
        "PROJECT_ROOT": str(sprint.repo),
    }


def setting_variables(config: Config, skip: Iterable[str] = ()) -> dict[str, str]:
    """Each bash-named setting as bash text (``PROTECTED_BRANCHES="main master develop"``).

    A setting with no value (``E2E_TEST_DIR`` by default) is left out: loop-v2
    had it unset.
    """
    skipped = frozenset(skip)
    found = {}
    for name, info in BY_BASH.items():
        value = getattr(getattr(config, info.section), info.name)
        if value is not None and name not in skipped:
            found[name] = info.kind.text(value)
    return found


def agent_variables(config: Config, sprint: Sprint) -> dict[str, str]:
    """What loop-v2 exported to every agent call, with this run's values."""
    return {**sprint_variables(sprint), **setting_variables(config, NOT_EXPORTED)}


def process_environ(
    config: Config, sprint: Sprint, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a service or a check command: what loop-v2's shell had exported.

    Under loop.sh a service's start command and every check ran in the shell that had
    sourced loop-config.sh, so ``npm run dev -- --port $LOOP_BACKEND_PORT`` worked.
    """
    environ = dict(os.environ if base is None else base)
    return {**environ, **config.exports, **agent_variables(config, sprint)}
