"""GitSeam: every git operation the loop performs, on one repository.

The engine never runs git itself.  Each call opens the repository afresh
(see :mod:`loopd.gitseam.repo`), so one GitSeam can live as long as the daemon.
Everything that changes the repository is also recorded in the events log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from loopd.clock import Clock, SystemClock
from loopd.config import GitSettings
from loopd.events import EventLog
from loopd.gitseam import branch, changes, commit, ignore, untracked
from loopd.gitseam.repo import branch_of, call, git, head_sha, opened
from loopd.gitseam.results import BranchSetup, CommitResult, DiffSummary, Withheld

HOOK_TIMEOUT = 900.0
PUSH_TIMEOUT = 300.0


class GitSeam:
    """The loop's git operations on the repository at ``repo``."""

    def __init__(
        self,
        repo: Path,
        settings: GitSettings | None = None,
        events: EventLog | None = None,
        clock: Clock | None = None,
        *,
        sprint_dir: Path | None = None,
        baseline_file: Path | None = None,
        hook_timeout: float = HOOK_TIMEOUT,
        push_timeout: float = PUSH_TIMEOUT,
        note: Callable[[str], None] | None = None,
    ) -> None:
        """``sprint_dir``: its untracked files are always committed.  ``baseline_file``:
        where :meth:`begin_step` keeps the untracked files a step began with.
        ``note``: where the user reads the loop's lines (files withheld from a commit)."""
        self.repo = repo
        self.settings = settings or GitSettings()
        self.events = events
        self.clock: Clock = clock or SystemClock()
        self.sprint_dir = sprint_dir
        self.baseline_file = baseline_file
        self.hook_timeout = hook_timeout
        self.push_timeout = push_timeout
        self.note = note
        self._baseline: untracked.Baseline | None = None

    def setup_branch(self, sprint: str, keep: Iterable[Path] = ()) -> BranchSetup:
        """Get onto the sprint's loop branch, stashing work found on a protected branch.

        ``keep`` (the sprint's own directory, say) stays in the working tree
        and goes along to the loop branch instead of being stashed; so does
        ``.loopd/``.  Raises LoopdError on a detached HEAD or mid-rebase/merge.
        """
        now = self.clock.now()
        prefix, protected = self.settings.branch_prefix, self.settings.protected_branches
        setup = branch.setup_branch(self.repo, sprint, prefix, now, keep=keep, protected=protected)
        if setup.stash is not None:
            stash = setup.stash
            self._emit("git_stash", **asdict(stash), restore=stash.restore_command)
        self._emit("git_branch", branch=setup.branch, action=setup.action, previous=setup.previous)
        return setup

    def ensure_gitignore(self) -> list[str]:
        """Add the secret patterns and ``.loopd/`` to .gitignore where missing; those added."""
        added = ignore.ensure_gitignore(self.repo)
        if added:
            self._emit("git_ignore", added=added)
            self._commit_gitignore(added)
        return added

    def _commit_gitignore(self, added: list[str]) -> None:
        """Commit the .gitignore edit at once, alone: an edit left uncommitted follows
        a ``git switch`` back to the user's branch and blocks their ``git stash apply``."""
        if not self.settings.commit:
            return
        with opened(self.repo) as repo:
            if branch_of(repo) in self.settings.protected_branches:
                return
            git(repo, "add", "--", ".gitignore")
        message = f"loopd: .gitignore ignores {', '.join(added)}"
        sha = commit.commit(self.repo, message, self.hook_timeout)
        self._emit("git_commit", sha=sha, branch=self.current_branch(), message=message, files=1)

    def begin_step(self, step: str, *, resumed: bool = False) -> None:
        """Note the untracked files there as ``step`` begins: its commits leave them alone.

        ``resumed``: the step is run again after the loop was stopped or
        killed in it; the files noted when it first began are used, so what
        its agent made before the stop is still the step's to commit.
        """
        if not self.settings.commit:
            return
        if resumed and self.baseline_file is not None:
            saved = untracked.load(self.baseline_file)
            if saved is not None and saved.step == step:
                self._baseline = saved
                return
        baseline = untracked.Baseline(step, commit.untracked_now(self.repo))
        if self.baseline_file is not None and baseline != self._baseline:
            untracked.save(self.baseline_file, baseline)
        self._baseline = baseline

    def stage_rules(self) -> commit.StageRules:
        """What :meth:`auto_commit` may stage now (see :class:`commit.StageRules`)."""
        # .gitignore: loopd adds to it (ensure_gitignore), in a step that commits nothing.
        always: tuple[str, ...] = (".gitignore",)
        if self.sprint_dir is not None:
            always += (self._relative(self.sprint_dir),)
        before = None if self._baseline is None else self._baseline.files
        return commit.StageRules(frozenset(self.settings.protected_branches), always, before)

    def _relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.repo.resolve()).as_posix()

    def auto_commit(self, message: str) -> CommitResult | None:
        """Stage what the loop changed, except likely secrets, and commit it with ``message``.

        Staged: changes to tracked files, untracked files in the sprint's
        directory, and untracked files that were not there when the step
        began (:meth:`begin_step`; before any step, all of them).  None when
        nothing changed (or commits are off in the config).  Files withheld
        as likely secrets are in the result and the event, also when they
        were all there was (then ``sha`` is None).  Hooks run; a refusal or a
        protected branch raises LoopdError.  Pushes when the config says so.
        """
        if not self.settings.commit:
            return None
        result = commit.auto_commit(self.repo, message, self.hook_timeout, self.stage_rules())
        if result is None:
            return None
        if result.withheld:
            withheld = [asdict(w) for w in result.withheld]
            self._emit("git_withheld", message=message, files=withheld)
            if self.note is not None:
                for line in withheld_lines(result.withheld):
                    self.note(line)
        if result.sha is None:
            return result
        self._emit(
            "git_commit",
            sha=result.sha,
            branch=result.branch,
            message=message,
            files=len(result.files),
            untracked_left=len(result.left_untracked),
        )
        return self._push(result) if self.settings.push else result

    def _push(self, result: CommitResult) -> CommitResult:
        error = commit.push(self.repo, result.branch, self.push_timeout)
        self._emit("git_push", branch=result.branch, sha=result.sha, ok=not error, error=error)
        return replace(result, pushed=not error, push_error=error)

    def head(self) -> str | None:
        """The sha HEAD points at; None before the first commit."""
        with opened(self.repo) as repo:
            return head_sha(repo)

    def current_branch(self) -> str | None:
        """The checked-out branch; None on a detached HEAD."""
        with opened(self.repo) as repo:
            return branch_of(repo)

    def is_dirty(self) -> bool:
        """Whether anything is uncommitted, untracked (not ignored) files included."""
        with opened(self.repo) as repo:
            _, out, _ = call(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all")
        return bool(out)

    def changes_since(self, base: str | None) -> DiffSummary:
        """Commits since ``base`` and every file changed since, committed or not."""
        return changes.changes_since(self.repo, base)

    def changed_files_since(self, base: str | None) -> list[str]:
        """The paths :meth:`changes_since` reports."""
        return self.changes_since(base).paths

    def _emit(self, kind: str, **fields: Any) -> None:
        if self.events is not None:
            self.events.append(kind, **fields)


def withheld_lines(withheld: Iterable[Withheld]) -> list[str]:
    """One log line per file auto-commit refused: ``not committed (likely secret): path: why``."""
    return [f"not committed (likely secret, kept on disk): {w.path}: {w.reason}" for w in withheld]
