"""The sprint directory: where a sprint's documents are and which are required.

Layout is loop-v2's (``docs/sprints/<sprint>/`` by default); file names are a
contract with repos loop-v2 already ran on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from loopd.errors import LoopdError

_COMMENT = re.compile(r"<!--.*?-->", re.S)
# A list item or numbered requirement with nothing after it: "-", "- [ ]", "1.", "R1."
_EMPTY_ITEM = re.compile(r"[-*+](?: \[[ xX]\])?|\d+[.)]|[A-Z]+-?\d+[.:)]?")

DEFAULT_SPRINTS_ROOT = "docs/sprints"
RUNTIME_DIR = ".loopd"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
WORKTREES_DIR = "worktrees"
# .loopd/<sprint>/ shares .loopd/ with the repo-wide prompts, config and worktrees.
RESERVED_NAMES = frozenset({"prompts", "config.yaml", WORKTREES_DIR})


@dataclass(frozen=True)
class Sprint:
    """Paths of one sprint.  Construct with :func:`locate`.

    ``repo`` is the working tree the loop works in: the sprint's own git
    worktree, or the user's checkout in place.  ``home`` is the user's
    checkout when that differs: loopd's runtime files, ``.loopd/config.yaml``
    and ``.loopd/prompts/`` stay there, so commands run from the checkout
    find them.
    """

    name: str
    repo: Path
    dir: Path
    home: Path | None = None

    @property
    def checkout(self) -> Path:
        """The user's checkout: where ``.loopd/`` (runtime, config, prompts) is."""
        return self.home if self.home is not None else self.repo

    @property
    def in_worktree(self) -> bool:
        """Whether the loop works in a worktree of its own, not in the user's checkout."""
        return self.home is not None and self.home != self.repo

    @property
    def vision(self) -> Path:
        return self.dir / "VISION.md"

    @property
    def prd(self) -> Path:
        return self.dir / "PRD.md"

    @property
    def architecture(self) -> Path:
        return self.dir / "ARCHITECTURE.md"

    @property
    def plan(self) -> Path:
        return self.dir / "IMPLEMENTATION_PLAN.md"

    @property
    def value_checklist(self) -> Path:
        return self.dir / "VALUE_CHECKLIST.md"

    @property
    def blockers(self) -> Path:
        return self.dir / "BLOCKERS.md"

    @property
    def state_file(self) -> Path:
        return self.dir / "LOOP_STATE.md"

    @property
    def beta_plan(self) -> Path:
        return self.dir / "BETA_TEST_PLAN_v1.md"

    @property
    def regression_log(self) -> Path:
        return self.dir / "REGRESSION_LOG.md"

    @property
    def config_sh(self) -> Path:
        return self.dir / "loop-config.sh"

    @property
    def config_yaml(self) -> Path:
        return self.dir / "loop-config.yaml"

    @property
    def services_yaml(self) -> Path:
        return self.dir / "services.yaml"

    @property
    def prompts_dir(self) -> Path:
        return self.dir / "prompts"

    @property
    def runtime(self) -> Path:
        """``.loopd/<sprint>/``: git-ignored daemon files (lock, logs, runs)."""
        return self.checkout / RUNTIME_DIR / self.name

    @property
    def events_log(self) -> Path:
        """``events.jsonl``: every transition, agent call, result and commit."""
        return self.runtime / "events.jsonl"

    @property
    def files_lock(self) -> Path:
        """Lock serialising loopd's own writes of this sprint's documents."""
        return self.runtime / "files.lock"

    def relative(self, path: Path) -> str:
        """``path`` relative to the repo root (or the user's checkout), for messages and prompts."""
        for root in (self.repo, self.checkout):
            if path.is_relative_to(root):
                return str(path.relative_to(root))
        return str(path)


def check_name(name: str) -> str:
    if name in RESERVED_NAMES:
        raise LoopdError(f"sprint name {name!r} is reserved: .loopd/{name} is not a sprint's")
    if not _NAME.match(name):
        raise LoopdError(
            f"invalid sprint name {name!r}",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return name


def sprint_for(repo: Path, sprints_root: str, name: str) -> Sprint:
    """The sprint's paths, whether or not its directory exists yet."""
    repo = repo.resolve()
    return Sprint(name=check_name(name), repo=repo, dir=repo / sprints_root / name)


def worktree_path(checkout: Path, name: str) -> Path:
    """Where sprint ``name``'s own git worktree is: ``<checkout>/.loopd/worktrees/<name>``."""
    return checkout / RUNTIME_DIR / WORKTREES_DIR / name


def in_worktree(checkout: Path, sprints_root: str, name: str) -> Sprint | None:
    """The sprint as its worktree holds it, if it has one (a loop made it)."""
    checkout = checkout.resolve()
    tree = worktree_path(checkout, check_name(name))
    if not (tree / ".git").is_file():
        return None
    return Sprint(name=name, repo=tree, dir=tree / sprints_root / name, home=checkout)


def locate(repo: Path, sprints_root: str, name: str) -> Sprint:
    """The sprint named ``name``, in its worktree if it has one; an error if it is missing."""
    sprint = in_worktree(repo, sprints_root, name) or sprint_for(repo, sprints_root, name)
    if not sprint.dir.is_dir():
        raise LoopdError(
            "sprint directory not found", path=sprint.dir, hint=_missing_hint(sprint, sprints_root)
        )
    return sprint


def _missing_hint(sprint: Sprint, sprints_root: str) -> str:
    # Imported here: git is only asked on this error path, and the sprint
    # model stays importable without the git layer.
    from loopd.gitseam.branch import branches_with

    holders = branches_with(sprint.repo, sprint.relative(sprint.dir))
    if holders:
        return f"it is on branch {holders[0]}: git switch {holders[0]}"
    known = list_sprints(sprint.repo, sprints_root)
    return f"known sprints: {', '.join(known)}" if known else f"create it: loopd init {sprint.name}"


def validate(sprint: Sprint) -> list[str]:
    """Check the approved documents (loop-v2 Phase 0); return warnings.

    VISION.md and PRD.md are required; ARCHITECTURE.md is optional.
    """
    for required in (sprint.vision, sprint.prd):
        if not required.is_file():
            raise LoopdError(
                "required sprint document is missing",
                path=required,
                hint=f"write it, or scaffold it with: loopd init {sprint.name}",
            )
        if not has_content(required.read_text(encoding="utf-8", errors="replace")):
            # Every agent call reads it: a loop over an empty template only burns budget.
            raise LoopdError(
                "nothing is written here yet (only headings, comments and empty items)",
                path=required,
                hint="write it before starting the loop; the comments say what belongs in it",
            )
    if not sprint.architecture.is_file():
        return [f"{sprint.relative(sprint.architecture)}: optional ARCHITECTURE.md not found"]
    return []


def has_content(markdown: str) -> bool:
    """Whether ``markdown`` holds any text beyond headings, HTML comments and empty items."""
    body = _COMMENT.sub("", markdown)
    return any(_is_content(line.strip()) for line in body.splitlines())


def _is_content(line: str) -> bool:
    return bool(line) and not line.startswith("#") and not _EMPTY_ITEM.fullmatch(line)


def list_sprints(repo: Path, sprints_root: str) -> list[str]:
    """Names of the sprints under the sprints root or in a worktree of their own, sorted."""
    root = repo / sprints_root
    names = {p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()
    trees = repo / RUNTIME_DIR / WORKTREES_DIR
    if trees.is_dir():
        names |= {p.name for p in trees.iterdir() if (p / ".git").is_file()}
    return sorted(n for n in names if _NAME.match(n) and n not in RESERVED_NAMES)
