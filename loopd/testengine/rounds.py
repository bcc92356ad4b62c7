"""STEP 6 as a round: check what can be checked, fix each failure cluster once, re-test.

A round checks every pending test that has a command (cmd, E2E or a learned
REPRO; they are cheap and run in parallel) and the next pending test that
needs the test-runner agent.  Failures are grouped by signature and the
biggest group goes to ONE fixer; then every member is re-tested.  A member's
re-test is its next attempt's check.  The other failing command tests are
re-checked too (a fix often mends more than its own cluster), without
spending an attempt of theirs.  Failures are regrouped and fixed again until
every test of the round passed or is blocked.  With ``policy.fixer_per_test``
a round is loop-v2's iteration: one test, its own fixer.  An agent check
that ended without a verdict is no failure (see :mod:`noverdict`): it gets
no attempt and no fixer.

Commits: after the first checks (and before every fix, so a fix's diff stat
is its own) and after every fix's re-test, with messages like
``BT-007 passes after FIX-BT-007``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from loopd.checklist import Item
from loopd.engine import checkpoint
from loopd.engine.ports import IterationOutcome
from loopd.testengine import outcomes
from loopd.testengine.checks import Check, plan_check
from loopd.testengine.fixer import Cluster, clusters, fix
from loopd.testengine.outcomes import Failure
from loopd.testengine.protocol import NO_VERDICT
from loopd.testengine.session import Session

MESSAGE_PHRASES = 4
FIXES_SINCE_REGRESSION = "fixes_since_regression"
PHRASES = "round.phrases"  # checkpoint key: what the next commit will say


@dataclass
class Round:
    """One test round's progress, for its outcome and its commit messages."""

    session: Session
    phrases: list[str] = field(default_factory=list)
    new_tasks: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    no_verdict: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    fixes: int = 0
    first: tuple[str, str] | None = None
    stopped: str = ""
    batches: int = 0
    fix_count: int = 0

    def check(self, checks: list[Check], *, after_fix: str | None = None) -> list[Failure]:
        """Check ``checks`` and handle each result; the failures left to fix."""
        ctx = self.session.ctx
        # Decided once per batch: a batch re-run after a kill is the same attempt.
        self.batches += 1
        decided: dict[str, int] = ctx.remember(
            f"attempts.{self.batches}",
            lambda: {c.item.id: ctx.state.attempts(c.item.id) + 1 for c in checks},
        )
        attempts = {
            c.item.id: decided.get(c.item.id, ctx.state.attempts(c.item.id) + 1) for c in checks
        }
        observed = self.session.observe(checks, role="test", attempts=attempts)
        self.checked.update(attempts)
        failing: list[Failure] = []
        for check, observation in zip(checks, observed, strict=True):
            self.first = self.first or (check.item.id, observation.verdict)
            if observation.verdict == NO_VERDICT:
                # Not a failure: noverdict marked it [U] (or the loop stops); no attempt, no fix.
                self.phrases.append(self.session.verdictless[check.item.id])
                self.no_verdict.append(check.item.id)
                continue
            if observation.passed:
                self._passed(check, after_fix)
                self.session.log(observation, "retest" if after_fix else "test")
                self.session.learn(check, observation)
                continue
            attempt = attempts[check.item.id]
            failure = outcomes.failed(
                self.session, check, observation, attempt=attempt, after_fix=bool(after_fix)
            )
            if self._keep(failure, after_fix=bool(after_fix)):
                failing.append(failure)
        return failing

    def _passed(self, check: Check, after_fix: str | None) -> None:
        # A pass after a fix counts the fix (once, however many it mended), in the pass's intent.
        counters = {FIXES_SINCE_REGRESSION: self.fix_count} if after_fix else {}
        # Said before it is done: a round re-run after a kill in between still says it.
        self.say(f"{check.item.id} passes" + (f" after {after_fix}" if after_fix else ""))
        outcomes.passed(self.session.ctx, check.item.id, counters)
        self.passed.append(check.item.id)

    def _keep(self, failure: Failure, *, after_fix: bool) -> bool:
        ctx = self.session.ctx
        test_id = failure.item.id
        if outcomes.exhausted(ctx, failure, after_fix=after_fix):
            self.say(f"{test_id} blocked after {failure.record.attempt} attempt(s)")
            count = outcomes.block(ctx, test_id)
            self.blocked.append(test_id)
            ctx.note(f"{test_id} blocked: {failure.record.short}")
            limit = ctx.config.limits.max_consecutive_blocked
            if limit and count >= limit:
                self.stopped = f"MAX_CONSECUTIVE_BLOCKED: {count} tests blocked in a row"
            return False
        if outcomes.opens(ctx, failure):
            opened = failure.task_id
            self.new_tasks.append(opened)
            self.say(f"{test_id} fails, {opened} opened")
            outcomes.open_failure_task(ctx, failure)
        elif after_fix:
            fixed_at = failure.record.attempt - 1
            self.say(f"{failure.task_id} attempt {fixed_at}: {test_id} still fails")
        return True

    def say(self, phrase: str) -> None:
        """Add ``phrase`` to the next commit's message, kept in the step's checkpoint.

        A round re-run after a kill commits what the killed run had done and
        not yet committed, in the words it would have used (each once).
        """
        if phrase in self.phrases:
            return
        self.phrases.append(phrase)
        ctx = self.session.ctx
        ctx.update(checkpoint.with_entries(ctx.state, {PHRASES: list(self.phrases)}))

    def summary(self) -> str:
        """One line for the user: what the round checked, fixed, passed and blocked."""
        parts = [f"{len(self.checked)} test(s) checked", f"{self.fixes} fix(es)"]
        parts.append(f"{len(self.passed)} passed")
        if self.blocked:
            parts.append(f"blocked: {', '.join(self.blocked)}")
        if self.no_verdict:
            parts.append(f"no verdict: {', '.join(self.no_verdict)}")
        return "test round: " + ", ".join(parts)

    def commit(self) -> None:
        """Commit what changed since the last commit, saying what happened."""
        if not self.phrases:
            return
        shown = self.phrases[:MESSAGE_PHRASES]
        more = len(self.phrases) - len(shown)
        message = "; ".join(shown) + (f"; and {more} more" if more else "")
        self.phrases.clear()
        ctx = self.session.ctx
        ctx.commit("testing", message)
        ctx.update(checkpoint.with_entries(ctx.state, {PHRASES: []}))

    def fix_cluster(self, cluster: Cluster, failing: list[Failure]) -> list[Failure]:
        """Fix ``cluster`` once and re-test; the failures left afterwards."""
        ctx = self.session.ctx
        self.commit()
        fix(self.session, cluster)
        self.fixes += 1
        # What the count of fixes becomes if this one mends a test: decided once.
        counted = ctx.state.counter(FIXES_SINCE_REGRESSION) + 1
        self.fix_count = ctx.remember(f"fix.{self.fixes}.counted", lambda: counted)
        task = cluster.primary.task_id
        members = set(cluster.ids)
        others = [f for f in failing if f.item.id not in members]
        left = self.check(self._checks(cluster.members), after_fix=task)
        if not ctx.config.policy.fixer_per_test:
            others = self.recheck(others, task)
        self.commit()
        return others + left

    def _checks(self, failures: Iterable[Failure]) -> list[Check]:
        planned = (self.session.plan(f.item.id) for f in failures)
        return [c for c in planned if c is not None]

    def recheck(self, failing: list[Failure], task: str) -> list[Failure]:
        """Re-run the failing command tests another cluster's fix may have mended.

        Not an attempt of theirs (no fix was aimed at them): a pass counts, a
        failure keeps its attempts and, when it now fails differently, its
        fresh evidence, so it joins the right cluster.
        """
        session = self.session
        cheap = {f.item.id: f for f in failing if f.check.deterministic}
        checks = self._checks(cheap.values())
        observed = session.observe(checks, role="test", attempts={})
        fresh: dict[str, Failure] = {}
        for check, observation in zip(checks, observed, strict=True):
            before = cheap[check.item.id]
            if observation.passed:
                self._passed(check, task)
                session.log(observation, "recheck")
            elif observation.signature != before.record.signature:
                fresh[check.item.id] = outcomes.refreshed(session, check, observation)
        still = [f for f in failing if f.item.id not in self.passed]
        return [fresh.get(f.item.id, f) for f in still]


def select(session: Session, ready: list[Item]) -> list[Check]:
    """This round's checks: command tests and the next agent test (one test: fixer_per_test)."""
    ctx = session.ctx
    checks = [plan_check(i, ctx.config, session.repo, ctx.state.test_commands) for i in ready]
    if ctx.config.policy.fixer_per_test:
        return checks[:1]
    commands = [c for c in checks if c.deterministic]
    agent = next((c for c in checks if not c.deterministic), None)
    chosen = commands + ([agent] if agent else [])
    order = {c.item.id: n for n, c in enumerate(checks)}
    return sorted(chosen, key=lambda c: order[c.item.id])


def run_round(session: Session) -> tuple[Round, str]:
    """Run one round; the round and how the iteration ends (continue, done, stop)."""
    ctx = session.ctx
    pending = ctx.tests().pending_tests()
    limit = ctx.config.limits.max_test_fix_attempts
    ready = [t for t in pending if ctx.state.attempts(t.id) < limit]
    current = Round(session, phrases=list(checkpoint.entries(ctx.state).get(PHRASES) or []))
    if not ready:
        _block_exhausted(current, pending)
        return current, "done"
    chosen = select(session, ready)
    ctx.update(ctx.state.evolve(working_on=chosen[0].item.id))
    failing = current.check(chosen)
    per_test = ctx.config.policy.fixer_per_test
    while failing and not current.stopped and not session.halt:
        failing = current.fix_cluster(clusters(failing, per_test=per_test)[0], failing)
    current.commit()
    return current, "stop" if current.stopped else "continue"


def _block_exhausted(current: Round, pending: list[Item]) -> None:
    # loop-v2's get_next_test: when every pending test is out of attempts, block them all.
    ctx = current.session.ctx
    for item in pending:
        outcomes.block(ctx, item.id)
        current.say(f"{item.id} blocked: no fix attempts left")
    current.commit()


def outcome(current: Round, ending: str) -> IterationOutcome:
    """The iteration's outcome for the testing step."""
    test_id, verdict = current.first or (None, None)
    if ending == "stop":
        return IterationOutcome("stop", test_id, verdict, tuple(current.new_tasks), current.stopped)
    pending = current.session.ctx.tests().pending_tests()
    state = "continue" if pending and ending != "done" else "done"
    summary = current.summary() if current.checked else ""
    return IterationOutcome(state, test_id, verdict, tuple(current.new_tasks), summary)
