"""What a changed path means to the loop: a pure function of the sprint and the path.

The watcher asks this first, for every event, so it must stay cheap: it looks
at the path only.  Two triggers need more than the path and the watcher adds
it: SOURCE counts only for files git would not ignore, and PLAN_PENDING only
when the plan now has more pending items than before.
"""

from __future__ import annotations

import enum
import fnmatch
import functools
from pathlib import Path, PurePosixPath

from loopd.sprint import RUNTIME_DIR, Sprint

# Files editors and atomic writers (fsio.atomic_write among them) create and
# rename or delete within a moment of a save: the save itself is the change.
EDITOR_TEMP_PATTERNS: tuple[str, ...] = (
    "*.sw[a-p]",
    "*.swx",
    "*~",
    ".#*",
    "#*#",
    "4913",
    ".*.tmp",
    "*___jb_tmp___",
    "*___jb_old___",
)
GIT_DIR = ".git"
PROMPTS_DIR = "prompts"
# loop-v2's prompts in a repo it ran on: a lookup layer (loopd.prompting.lookup).
LOOP_V2_PROMPTS = PurePosixPath("loop-v2", PROMPTS_DIR)


class Trigger(enum.Enum):
    """Why the idle loop should act, in the order it should act on them.

    STATE first (a hand-edited state is what the rest works on), PROMPTS last
    (nothing to do but note it).
    """

    STATE = "state"
    DOCS = "docs"
    PLAN_PENDING = "plan_pending"
    SOURCE = "source"
    PROMPTS = "prompts"


def is_editor_temp(name: str) -> bool:
    """Whether a file name is an editor's swap, backup or save-in-progress file."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EDITOR_TEMP_PATTERNS)


def relative(sprint: Sprint, path: Path) -> PurePosixPath | None:
    """``path`` relative to the repo root (absolute or already relative); None if outside."""
    if not path.is_absolute():
        return PurePosixPath(path.as_posix())
    try:
        return PurePosixPath(path.relative_to(sprint.repo).as_posix())
    except ValueError:
        return None


def classify(sprint: Sprint, path: Path) -> Trigger | None:
    """The trigger a change of ``path`` may fire, or None when loopd ignores it.

    ``path`` is absolute or relative to the repo.  PLAN_PENDING means "a plan
    changed" and SOURCE "a file outside the sprint's documents changed": the
    watcher then checks for pending growth and .gitignore respectively.
    """
    rel = relative(sprint, path)
    if rel is None or not rel.parts or is_editor_temp(rel.name) or GIT_DIR in rel.parts:
        return None
    if _is_prompt(sprint, rel):
        return Trigger.PROMPTS
    if rel.parts[0] == RUNTIME_DIR:
        return None
    return _documents(sprint).get(rel, Trigger.SOURCE)


def _is_prompt(sprint: Sprint, rel: PurePosixPath) -> bool:
    roots = (
        relative(sprint, sprint.prompts_dir),
        PurePosixPath(RUNTIME_DIR, PROMPTS_DIR),
        LOOP_V2_PROMPTS,
    )
    return any(root is not None and rel.is_relative_to(root) and rel != root for root in roots)


@functools.lru_cache(maxsize=8)
def _documents(sprint: Sprint) -> dict[PurePosixPath, Trigger]:
    found: dict[PurePosixPath, Trigger] = {}
    for paths, trigger in (
        ((sprint.vision, sprint.prd, sprint.architecture), Trigger.DOCS),
        ((sprint.plan, sprint.beta_plan), Trigger.PLAN_PENDING),
        ((sprint.state_file,), Trigger.STATE),
    ):
        for path in paths:
            rel = relative(sprint, path)
            if rel is not None:
                found[rel] = trigger
    return found
