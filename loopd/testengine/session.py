"""What one engine call works with: the context plus redaction, run files, git and randomness.

A :class:`Session` observes checks (commands in parallel, agents through the
context, asked again when they give no verdict: see
:mod:`loopd.testengine.noverdict`), stores the evidence of failed ones,
records every result in the events log, and learns REPRO commands from
test-runner agents.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from loopd.config.exported import process_environ
from loopd.engine.context import Context
from loopd.redact import Redactor
from loopd.testengine import noverdict
from loopd.testengine.changes import Changes
from loopd.testengine.checks import Check, CommandRunner, plan_check, run_all
from loopd.testengine.evidence import EvidenceRecord, Observation, RunFiles


@dataclass
class Session:
    """The tools of one ``iteration`` or ``sweep`` call."""

    ctx: Context
    redact: Redactor
    files: RunFiles
    changes: Changes
    rng: random.Random
    # Set when test runners gave no verdict on too many tests in a row: the
    # loop stops with this line once the round or sweep has committed.
    halt: str | None = None
    # Test id -> what happened to it, for each agent check that ended without a verdict.
    verdictless: dict[str, str] = field(default_factory=dict)

    @property
    def repo(self) -> Path:
        return self.ctx.sprint.repo

    def plan(self, item_id: str) -> Check | None:
        """How the test ``item_id`` is checked now (None if it is gone from the plan)."""
        item = self.ctx.tests().get(item_id)
        if item is None:
            return None
        return plan_check(item, self.ctx.config, self.repo, self.ctx.state.test_commands)

    def commands(self, timeout: float) -> CommandRunner:
        return CommandRunner(
            timeout=timeout,
            kill_grace=self.ctx.config.timeouts.kill_grace,
            redact=self.redact,
            scratch=self.files.run_dir,
            environ=process_environ(self.ctx.config, self.ctx.sprint),
        )

    def observe(
        self, checks: list[Check], *, role: str, attempts: Mapping[str, int]
    ) -> list[Observation]:
        """Run ``checks``; agent checks with ``role``, as attempt ``attempts[id]``."""
        timeout = self.ctx.config.timeouts.for_role(role)
        self.files.run_dir.mkdir(parents=True, exist_ok=True)

        def agent(check: Check) -> Observation:
            self.ctx.update(self.ctx.state.evolve(working_on=check.item.id))
            attempt = attempts.get(check.item.id)
            return noverdict.ask(self, check, role=role, attempt=attempt)

        parallelism = self.ctx.config.limits.regression_parallelism
        return run_all(checks, self.commands(timeout), agent, parallelism)

    def now(self) -> str:
        return self.ctx.clock.now().isoformat(timespec="seconds")

    def store(
        self, observation: Observation, *, role: str, attempt: int, trigger: str
    ) -> EvidenceRecord:
        """Save the evidence of a failed check and log it."""
        record = self.files.save_evidence(
            observation, role=role, attempt=attempt, trigger=trigger, time=self.now()
        )
        self.log(observation, trigger, record.path)
        return record

    def log(self, observation: Observation, trigger: str, evidence: str | None = None) -> None:
        """Append the check's result to the events log."""
        self.ctx.events.append(
            "test",
            test_id=observation.test_id,
            verdict=observation.verdict,
            how=observation.how,
            duration=round(observation.duration, 3),
            timed_out=observation.timed_out,
            trigger=trigger,
            signature=None if observation.passed else observation.signature,
            evidence=evidence,
        )

    def learn(self, check: Check, observation: Observation) -> None:
        """Keep a test runner's REPRO command when it agrees with the runner's PASS.

        The command is run once: a REPRO that does not exit 0 for a test the
        runner saw pass is not a faithful check, and is not learned.
        """
        command = observation.repro
        if check.how != "agent" or not observation.passed or not command:
            return
        if self.ctx.state.test_commands.get(check.item.id) == command:
            return
        trial = Check(check.item, "cmd", command, self.repo, learned=True)
        verified = self.commands(self.ctx.config.timeouts.test).run(trial)
        test_id = check.item.id
        if verified.passed:
            self.ctx.update(self.ctx.state.with_test_command(test_id, command))
            self.ctx.note(f"{test_id}: learned its check command: {command}")
        else:
            self.ctx.note(f"{test_id}: REPRO command did not pass when run, not learned: {command}")
        self.ctx.events.append("repro", test_id=test_id, command=command, learned=verified.passed)
