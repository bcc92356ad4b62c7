"""Test-runner calls that end without a verdict: a fault of the call, never a FAIL of the product.

DESIGN.md: a call killed at its timeout, ended by a signal, silent, or whose
answer has no RESULT line (see :func:`loopd.testengine.checks.no_verdict`)
says nothing about the product.  Such a call is asked again, up to
``retries.verdictless`` times.  When none of them gave a verdict the test is
marked ``[U]`` for a person, its open tasks with it: no attempt is counted,
no FIX task opened, no fixer called, never ``[B]``.  Why is said in the daemon
log, the events, the evidence record and the commit message.

Why ``[U]`` and not a stop: one test the agent cannot answer (a page that
hangs its browser, say) should not hold the other tests hostage overnight.
But the agent failing a second test in a row (no test-runner verdict in
between, across restarts) is the agent, not the tests: the loop stops
(exit 1) with a line saying so, that second test is left as it was, and the
next start checks it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopd.prompting import as_test
from loopd.testengine import outcomes
from loopd.testengine.checks import Check, observe_agent
from loopd.testengine.evidence import Observation
from loopd.testengine.protocol import NO_VERDICT

if TYPE_CHECKING:  # the session runs this module's ask()
    from loopd.testengine.session import Session

IN_A_ROW = "no_verdict_in_a_row"
STOP_AFTER = 2  # tests in a row without a verdict: the agent is the problem


def ask(session: Session, check: Check, *, role: str, attempt: int | None) -> Observation:
    """Ask the test runner about ``check``, again while it gives no verdict (see the module doc)."""
    ctx = session.ctx
    test_id = check.item.id
    if session.halt:
        return _not_asked(check, session)
    retries = ctx.config.retries.verdictless
    for retry in range(retries + 1):
        result = ctx.ask(
            "test-runner", role=role, test_id=test_id, attempt=attempt, test=as_test(check.item)
        )
        observation = observe_agent(check, result, session.redact)
        if observation.verdict != NO_VERDICT:
            ctx.update(ctx.state.with_counter(IN_A_ROW, 0))
            return observation
        if retry < retries:
            ctx.note(
                f"{test_id}: the test runner gave no verdict ({observation.lines[0]}), "
                f"asking again ({retry + 1}/{retries})"
            )
    output = ctx.sprint.relative(result.output_file)
    _give_up(session, observation, role, calls=retries + 1, output=output)
    return observation


def _give_up(
    session: Session, observation: Observation, role: str, *, calls: int, output: str
) -> None:
    ctx = session.ctx
    test_id = observation.test_id
    why = f"the test runner gave no verdict in {calls} call(s) ({observation.lines[0]})"
    ctx.update(ctx.state.bump(IN_A_ROW))
    in_a_row = ctx.state.counter(IN_A_ROW)
    if in_a_row >= STOP_AFTER:
        session.halt = (
            f"the test-runner agent gave no verdict on {in_a_row} tests in a row, the last "
            f"{test_id}: {why}: this is the agent, not the tests [output: {output}]"
        )
        session.verdictless[test_id] = f"{test_id}: no verdict, the loop stops"
        session.log(observation, role)
        ctx.note(f"{test_id} left as it was: {why}")
        return
    attempt = ctx.state.attempts(test_id)
    record = session.store(observation, role=role, attempt=attempt, trigger=role)
    outcomes.for_human(ctx, test_id)
    session.verdictless[test_id] = f"{test_id} marked [U]: no verdict from the test runner"
    ctx.note(
        f"{test_id} needs a human, marked [U]: {why}; set it back to [ ] to have it "
        f"tested again [output: {output}, evidence: {record.path}]"
    )


def _not_asked(check: Check, session: Session) -> Observation:
    """The observation of an agent check skipped because the loop is stopping."""
    test_id = check.item.id
    session.verdictless[test_id] = f"{test_id}: not checked, the loop stops"
    return Observation(
        test_id=test_id,
        verdict=NO_VERDICT,
        how="agent",
        command=None,
        exit_code=None,
        timed_out=False,
        duration=0.0,
        lines=("not asked: the loop is stopping",),
        output="",
    )
