"""The test engine port's implementation: evidence-driven rounds and deterministic regression."""

from __future__ import annotations

import os
import random
from pathlib import Path

from loopd.engine.context import Context, StopLoop
from loopd.engine.ports import IterationOutcome, SweepOutcome
from loopd.gitseam import GitSeam
from loopd.redact import Redactor
from loopd.testengine import regression, rounds
from loopd.testengine.changes import Changes
from loopd.testengine.evidence import RunFiles
from loopd.testengine.session import Session


class EvidenceTestEngine:
    """Runs STEP 6 rounds and regression sweeps for the loop (the ``TestEngine`` port).

    ``rng`` decides spot checks and their samples (seed it for a repeatable
    run).  ``changes`` tells what a fixer changed; by default the context's
    git seam when it can, else ``git`` itself.  ``run_dir`` holds evidence
    files; by default the agent runner's run directory, so evidence and
    agent calls share one numbering.
    """

    def __init__(
        self,
        rng: random.Random | None = None,
        *,
        changes: Changes | None = None,
        run_dir: Path | None = None,
    ) -> None:
        self.rng = rng or random.Random()
        self.changes = changes
        self.run_dir = run_dir

    def session(self, ctx: Context) -> Session:
        """The tools for one call on ``ctx``."""
        repo = ctx.sprint.repo
        return Session(
            ctx=ctx,
            # Check commands run with loop-config.sh's exports: their secrets too.
            redact=Redactor.for_repo(repo, {**os.environ, **ctx.config.exports}),
            files=RunFiles(repo, self._run_dir(ctx)),
            changes=self._changes(ctx),
            rng=self.rng,
        )

    def _run_dir(self, ctx: Context) -> Path:
        if self.run_dir is not None:
            return self.run_dir
        shared = getattr(ctx.agents, "run_dir", None)
        if isinstance(shared, Path):
            return shared
        stamp = ctx.clock.now().strftime("%Y%m%d-%H%M%S")
        self.run_dir = ctx.sprint.runtime / "runs" / f"tests-{stamp}"
        return self.run_dir

    def _changes(self, ctx: Context) -> Changes:
        if self.changes is not None:
            return self.changes
        if isinstance(ctx.git, Changes):
            return ctx.git
        return GitSeam(ctx.sprint.repo, ctx.config.git)

    def iteration(self, ctx: Context) -> IterationOutcome:
        """One round (see :mod:`loopd.testengine.rounds`), then any regression it calls for."""
        session = self.session(ctx)
        current, ending = rounds.run_round(session)
        _halt(session)
        if ending != "stop":
            self._after_round(session)
            _halt(session)
        return rounds.outcome(current, ending)

    def _after_round(self, session: Session) -> None:
        ctx = session.ctx
        limits = ctx.config.limits
        fixes = ctx.state.counter(rounds.FIXES_SINCE_REGRESSION)
        if fixes and fixes >= limits.regression_check_interval:
            self._sweep(session, "interval")
            ctx.update(ctx.state.with_counter(rounds.FIXES_SINCE_REGRESSION, 0))
        if (
            limits.spot_check_probability
            and self.rng.randrange(100) < limits.spot_check_probability
        ):
            self._sweep(session, "spot")

    def sweep(self, ctx: Context, trigger: str) -> SweepOutcome:
        """A regression check for ``trigger`` (interval, spot, completion, manual)."""
        report = self._sweep(self.session(ctx), trigger)
        return SweepOutcome(len(report.checked), tuple(r.test_id for r in report.regressions))

    def report(self, ctx: Context, trigger: str) -> regression.SweepReport:
        """A regression check, with everything it observed (for ``loopd regression``)."""
        return self._sweep(self.session(ctx), trigger)

    def _sweep(self, session: Session, trigger: str) -> regression.SweepReport:
        report = regression.sweep(session, trigger)
        # A person asked (loopd regression) or is editing (watch): their
        # uncommitted edits are theirs, so these checks commit nothing.
        if report.checked and trigger not in regression.COMMANDS_ONLY:
            found = len(report.regressions)
            message = (
                f"{trigger} regression check: {len(report.checked)} checked, {found} regressed"
            )
            if report.no_verdict:
                message += f", {len(report.no_verdict)} without a verdict"
            session.ctx.commit("regression", message)
        _halt(session)
        return report


def _halt(session: Session) -> None:
    """Stop the loop when test runners gave no verdict on tests in a row (already committed)."""
    if session.halt:
        raise StopLoop(session.halt)
