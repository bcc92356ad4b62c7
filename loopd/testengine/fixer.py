"""One fix agent call for a cluster of tests failing alike, with everything it should know.

The fix prompt gets the first test's block and evidence (bounded), every
earlier attempt on that test (diff stat, the fixer's summary, what was
observed after), the plan tasks about the cluster's tests, and the other
tests of the cluster with their one-line evidence.  ``policy.withhold_evidence``
gives it none of the evidence and no history, as loop-v2 did.  The call is
recorded as a fix record that joins each member's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopd.prompting import Peer, as_test, related_tasks
from loopd.testengine.changes import fix_diffstat
from loopd.testengine.history import FixRecord, attempts_of, save_fix, summary_of
from loopd.testengine.outcomes import Failure
from loopd.testengine.session import Session

NO_BASE = "(no commit to compare with: the repository has no commits)"


@dataclass(frozen=True)
class Cluster:
    """Failures sharing one signature (or one failure, under policy.fixer_per_test)."""

    members: tuple[Failure, ...]

    @property
    def primary(self) -> Failure:
        return self.members[0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(f.item.id for f in self.members)


def clusters(failing: list[Failure], *, per_test: bool) -> list[Cluster]:
    """Failures grouped by signature, biggest group first (file order breaks ties)."""
    if per_test:
        return [Cluster((f,)) for f in failing]
    groups: dict[str, list[Failure]] = {}
    for failure in failing:
        groups.setdefault(failure.record.signature, []).append(failure)
    ordered = sorted(groups.values(), key=lambda group: -len(group))
    return [Cluster(tuple(group)) for group in ordered]


def prompt_fields(session: Session, cluster: Cluster) -> dict[str, Any]:
    """The fix prompt's context fields for ``cluster``."""
    ctx = session.ctx
    primary = cluster.primary
    withhold = ctx.config.policy.withhold_evidence
    plan_items = ctx.plan().items
    related: dict[str, None] = {}
    for test_id in cluster.ids:
        related.update(dict.fromkeys(related_tasks(plan_items, test_id)))
    fields: dict[str, Any] = {
        "test": as_test(primary.item),
        "related_tasks": tuple(related),
        "cluster": tuple(
            Peer(id=f.item.id, block=f.item.block, evidence="" if withhold else f.record.short)
            for f in cluster.members[1:]
        ),
    }
    if not withhold:
        refs = ctx.state.evidence.get(primary.item.id, ())
        fields["evidence"] = primary.record.to_prompt()
        fields["attempts"] = attempts_of(session.files, primary.item.id, refs)
    return fields


def fix(session: Session, cluster: Cluster) -> FixRecord:
    """Run the fix agent for ``cluster`` and record what it did."""
    ctx = session.ctx
    primary = cluster.primary
    ctx.update(ctx.state.evolve(working_on=primary.item.id))
    base = session.changes.head()
    fields = prompt_fields(session, cluster)
    withheld = ctx.config.policy.withhold_evidence or not primary.record.path
    result = ctx.ask(
        "fix",
        role="fix",
        test_id=primary.item.id,
        attempt=primary.record.attempt,
        evidence_file=None if withheld else Path(primary.record.path),
        **fields,
    )
    own = frozenset({ctx.sprint.relative(ctx.sprint.state_file)})
    diffstat = fix_diffstat(session.changes, base, own) if base else NO_BASE
    record = save_fix(
        session.files,
        FixRecord(
            primary=primary.item.id,
            tests=cluster.ids,
            attempts={f.item.id: f.record.attempt for f in cluster.members},
            signature=primary.record.signature,
            base=base,
            diffstat=diffstat,
            summary=session.redact(summary_of(result.text or result.output)),
            ok=result.ok,
            timed_out=result.timed_out,
            duration=round(result.duration, 3),
            agent_output=session.files.relative(result.output_file),
            time=session.now(),
        ),
    )
    state = ctx.state
    for test_id in cluster.ids:
        state = state.with_evidence(test_id, record.path)
    ctx.update(state)
    ctx.events.append(
        "fix", tests=list(cluster.ids), signature=record.signature, ok=result.ok, record=record.path
    )
    return record
