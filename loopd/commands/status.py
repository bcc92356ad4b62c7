"""``loopd status``: where a sprint is, read from its files (daemon or not).

Besides the state and checklists: where the sprint stands as one state
(running, stopped and why, ended and how: see :mod:`loopd.commands.standing`)
with the command to go on, the step it is in, the last few events, what the
current (or last) run used against its budgets (from status.json, which the
loop rewrites on every transition).  After a full success LOOP_STATE.md is
archived: status reads the archived copy and the end's record instead.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Container
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from loopd import daemon, ending, proc
from loopd import sprint as sprints
from loopd.checklist import Checklist, DocKind, Item, Status, tested_kinds
from loopd.commands.standing import ended_line, standing
from loopd.config import Config, load_config
from loopd.engine.steps import completion
from loopd.errors import LoopdError
from loopd.events import read_events, totals_by_role
from loopd.gitseam import repo as gitrepo
from loopd.services import load_report
from loopd.state import KNOWN_GATES, LoopState, load_state
from loopd.values import load_value_table

RECENT_EVENTS = 5
_TAIL_BYTES = 64 * 1024
# What the loop's budgets are called in config, with the usage key they limit.
BUDGETS = (
    ("agent_calls", "max_agent_calls"),
    ("cost_usd", "max_cost_usd"),
    ("wall_time", "max_wall_time"),
    ("loop_iterations", "max_loop_iterations"),
)

STATUS_WORDS = {
    Status.DONE: "done",
    Status.PENDING: "pending",
    Status.BLOCKED: "blocked",
    Status.USER: "user",
    Status.OTHER: "other",
}
TEST_WORDS = {**STATUS_WORDS, Status.DONE: "passed"}


@dataclass(frozen=True)
class Tally:
    """Items of one document by status, and by kind."""

    by_status: dict[str, int]
    by_kind: dict[str, dict[str, int]]
    total: int


@dataclass(frozen=True)
class SprintStatus:
    sprint: str
    dir: str
    phase: str
    iteration: int
    loop_iteration: int
    gates: list[str]
    updated: str | None
    stop_reason: str | None
    tasks: Tally
    tests: Tally
    next_task: str | None
    next_test: str | None
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    step: str | None = None
    working_on: str | None = None
    exit_code: int | None = None
    # One state: running, watching, stopping, stopped, ended, interrupted, not started.
    state: str = ""
    state_line: str = ""
    continue_with: str | None = None  # the command that goes on from here
    ended: dict[str, Any] | None = (
        None  # how the loop ended: exit code, when, tests, commit, branch
    )
    stashed: str | None = None  # the command restoring the user's stashed work
    daemon: dict[str, Any] | None = None  # {"pid": ...} while a daemon holds the sprint
    budget: dict[str, dict[str, float]] = field(default_factory=dict)  # used and limit
    recent: list[dict[str, Any]] = field(default_factory=list)
    # The last service report (a start or a check): failures are never swallowed.
    services: list[dict[str, Any]] = field(default_factory=list)
    # VALUE_CHECKLIST.md's table: rows, verified, blocked, open, and the warnings reading it.
    values: dict[str, Any] = field(default_factory=dict)
    # Every oddity loopd read past in the sprint's files (``path:line: message``), as doctor shows.
    warnings: list[str] = field(default_factory=list)
    # Where the loop works, relative to the checkout, when it has a worktree of its own.
    worktree: str | None = None
    branch: str | None = None  # the branch checked out where the loop works
    # Files the last commit refused as likely secrets, still on disk: {"path", "reason"}.
    withheld: list[dict[str, str]] = field(default_factory=list)


def _tally(
    checklist: Checklist, words: dict[Status, str], kinds: Container[str] | None = None
) -> Tally:
    """By status and kind, of the items of ``kinds`` (all when None)."""
    by_status = dict.fromkeys(words.values(), 0)
    by_kind: dict[str, dict[str, int]] = {}
    for kind, counts in checklist.counts().items():
        if kinds is not None and kind not in kinds:
            continue
        by_kind[kind] = {words[s]: n for s, n in counts.items() if n}
        for status, n in counts.items():
            by_status[words[status]] += n
    return Tally(by_status, by_kind, sum(by_status.values()))


def _describe(item: Item | None) -> str | None:
    return f"{item.id}: {item.text}" if item else None


def _ordered_gates(state: LoopState) -> list[str]:
    known = [g for g in KNOWN_GATES if state.gate_passed(g)]
    return known + sorted(set(state.gates) - set(KNOWN_GATES))


def collect(found: sprints.Sprint) -> SprintStatus:
    """Everything status shows, read from the sprint's files.

    The config is loaded too, so a malformed one is reported here and not
    first by a daemon hours later.
    """
    loaded = load_config(found.checkout, found)
    config = loaded.config
    # A torn or hand-broken file is reported among the warnings, never a failed status.
    problems: list[str] = []
    state = _state(found, problems)
    plan = Checklist.load(found.plan, DocKind.PLAN)
    tests = Checklist.load(found.beta_plan, DocKind.TEST_PLAN)
    holder = daemon.running(found)
    values = _values(found)
    stands = standing(found.name, state, holder)
    end = ending.load(found)
    return SprintStatus(
        sprint=found.name,
        dir=found.relative(found.dir),
        phase=state.phase,
        iteration=state.iteration,
        loop_iteration=state.loop_iteration,
        gates=_ordered_gates(state),
        updated=state.updated.isoformat() if state.updated else None,
        stop_reason=state.stop_reason,
        tasks=_tally(plan, STATUS_WORDS),
        # The tests the test engine runs and completion waits for, and only those.
        tests=_tally(tests, TEST_WORDS, tested_kinds(DocKind.TEST_PLAN)),
        next_task=_describe(plan.next_task()),
        next_test=_describe(tests.next_test()),
        agents={role: asdict(t) for role, t in _agent_totals(found, problems).items()},
        step=state.step,
        working_on=state.working_on,
        exit_code=state.exit_code,
        state=stands.state,
        state_line=stands.line,
        continue_with=stands.next,
        # Only the record of this end: a run since, or a stop, is how the sprint stands now.
        ended=end.as_dict() if end and end.exit_code == state.exit_code else None,
        stashed=state.stashed,
        daemon={"pid": holder.pid} if holder is not None else None,
        budget=_budget(_snapshot(found), state, config, live=holder is not None),
        recent=recent_events(found.events_log),
        services=_services(found),
        values=values,
        warnings=problems + _warnings(loaded.warnings, plan, tests, values, found),
        worktree=str(found.repo.relative_to(found.checkout)) if found.in_worktree else None,
        branch=_branch(found),
        withheld=_withheld(found),
    )


def _warnings(
    config: tuple[str, ...],
    plan: Checklist,
    tests: Checklist,
    values: dict[str, Any],
    found: sprints.Sprint,
) -> list[str]:
    """The warnings of the files status read, each once, in reading order."""
    report = load_report(found)
    found_lines = [
        *config,
        *plan.warnings_relative_to(found.repo),
        *tests.warnings_relative_to(found.repo),
        *values.get("warnings", []),
        *(report.warnings if report is not None else ()),
    ]
    return list(dict.fromkeys(found_lines))


def _state(found: sprints.Sprint, problems: list[str]) -> LoopState:
    """LOOP_STATE.md; after a full success archived it, the archived copy.

    An unreadable one is a problem shown (with the way out), and a blank state.
    """
    if found.state_file.exists():
        try:
            return load_state(found.state_file)
        except LoopdError as exc:
            problems.append(_problem(found, exc))
            return LoopState()
    return completion.archived_state(found) or LoopState()


def _branch(found: sprints.Sprint) -> str | None:
    try:
        with gitrepo.opened(found.repo) as repo:
            return gitrepo.branch_of(repo)
    except LoopdError:
        return None


def _problem(found: sprints.Sprint, exc: LoopdError) -> str:
    """``path:line: message (hint)``, the path relative to the repository."""
    path = found.relative(exc.path) if exc.path is not None else ""
    where = f"{path}:{exc.line}: " if exc.line else f"{path}: " if path else ""
    return where + exc.message + (f" ({exc.hint})" if exc.hint else "")


def _values(found: sprints.Sprint) -> dict[str, Any]:
    """The value table's counts ({} when the sprint has no VALUE_CHECKLIST.md yet).

    Without table rows, loopd's own form (``- [x] **VAL-1**`` items) is counted instead.
    """
    table = load_value_table(found.value_checklist, found.relative(found.value_checklist))
    if not table.exists:
        return {}
    counts = asdict(table.counts())
    items = _value_items(found) if not table.rows else None
    if items:
        counts = items
    return {**counts, "form": "items" if items else "table", "warnings": list(table.warnings)}


def _value_items(found: sprints.Sprint) -> dict[str, int] | None:
    """Counts of loopd's ``VAL-N`` items; None when there are none.

    An unreadable file is None too: the table's warnings already say why.
    """
    try:
        items = Checklist.load(found.value_checklist, DocKind.VALUES)
    except LoopdError:
        return None
    blocked = {item.id for item in items.blocked_values()}
    done = sum(1 for i in items.items if i.status is Status.DONE and i.id not in blocked)
    total = len(items.items)
    if not total:
        return None
    return {
        "rows": total,
        "verified": done,
        "blocked": len(blocked),
        "open": total - done - len(blocked),
    }


def _services(found: sprints.Sprint) -> list[dict[str, Any]]:
    report = load_report(found)
    if report is None:
        return []
    return [
        {"name": s.name, "state": s.state, "evidence": s.evidence, "at": report.at}
        for s in report.services
    ]


def _snapshot(found: sprints.Sprint) -> dict[str, Any]:
    """status.json as the loop last wrote it ({} when there is none or it is torn)."""
    try:
        data = json.loads((found.runtime / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _budget(
    snapshot: dict[str, Any], state: LoopState, config: Config, *, live: bool
) -> dict[str, dict[str, float]]:
    """Each budget's use in the current (or last) run next to its limit (0: none).

    The run's starting counts are in status.json (rewritten at transitions);
    the counts now are in LOOP_STATE.md (saved after every agent call).
    """
    run = snapshot.get("run") or {}
    limits = snapshot.get("budgets") or _limits(config)
    used = {key: float(run.get(key) or 0) for key, _ in BUDGETS}
    base = run.get("base")
    if isinstance(base, dict):
        used["agent_calls"] = state.counter("agent_calls") - float(base.get("agent_calls") or 0)
        used["cost_usd"] = round(state.cost_usd - float(base.get("cost_usd") or 0), 6)
        used["loop_iterations"] = state.loop_iteration - float(base.get("loop_iterations") or 0)
    started = _parse_time(run.get("started"))
    if live and started is not None:
        now = datetime.datetime.now(started.tzinfo)
        used["wall_time"] = max(used["wall_time"], (now - started).total_seconds())
    return {
        key: {"used": used[key], "limit": float(limits.get(limit) or 0)} for key, limit in BUDGETS
    }


def _limits(config: Config) -> dict[str, float]:
    budgets = config.budgets
    return {
        "max_agent_calls": budgets.max_agent_calls,
        "max_cost_usd": budgets.max_cost_usd,
        "max_wall_time": budgets.max_wall_time,
        "max_loop_iterations": config.limits.max_loop_iterations,
    }


def _parse_time(value: Any) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def recent_events(path: Path, count: int = RECENT_EVENTS) -> list[dict[str, Any]]:
    """The last ``count`` events of ``path``, read from its end (the log only grows)."""
    try:
        with path.open("rb") as log:
            size = log.seek(0, 2)
            log.seek(max(0, size - _TAIL_BYTES))
            lines = log.read().splitlines()
    except OSError:
        return []
    if size > _TAIL_BYTES:
        lines = lines[1:]  # the first line read is cut
    events: list[dict[str, Any]] = []
    for line in reversed(lines):
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a torn last line
        if isinstance(event, dict):
            events.append(event)
        if len(events) == count:
            break
    return events[::-1]


def _withheld(found: sprints.Sprint) -> list[dict[str, str]]:
    """The files auto-commit withheld as likely secrets that are still uncommitted.

    Every withholding is a ``git_withheld`` event; a file stays withheld (on
    disk, untracked or changed) until the user commits, fixes or removes it.
    """
    try:
        events = read_events(found.events_log)
    except LoopdError:
        return []  # status shows what it can; the broken log is reported elsewhere
    latest: dict[str, dict[str, str]] = {}
    for event in events:
        if event.get("type") == "git_withheld":
            for held in event.get("files") or []:
                if isinstance(held, dict) and held.get("path"):
                    latest[str(held["path"])] = held
    pending = _uncommitted(found.repo, sorted(latest))
    return [latest[path] for path in sorted(latest) if path in pending]


def _uncommitted(repo: Path, paths: list[str]) -> set[str]:
    """Those of ``paths`` that exist and differ from what git has (untracked or changed)."""
    present = [p for p in paths if (repo / p).exists()]
    if not present:
        return set()
    done = proc.run(
        ["git", "--literal-pathspecs", "status", "--porcelain", "-z", "--", *present],
        cwd=repo,
        timeout=30,
    )
    if not done.ok:
        return set(present)  # no git to ask: say what may still be there
    return {entry[3:] for entry in done.stdout.split("\0") if len(entry) > 3}


def _agent_totals(found: sprints.Sprint, problems: list[str]) -> dict[str, Any]:
    events = found.events_log
    try:
        return dict(totals_by_role(events)) if events.exists() else {}
    except LoopdError as exc:  # a line that is not loopd's: the totals are unknown
        problems.append(_problem(found, exc))
        return {}


def _counts_line(tally: Tally) -> str:
    if tally.total == 0:
        return "none yet"
    parts = [f"{n} {word}" for word, n in tally.by_status.items() if n]
    return " · ".join(parts) + f"  (of {tally.total})"


def _values_line(values: dict[str, Any]) -> str:
    if not values:
        return "no VALUE_CHECKLIST.md yet"
    if not values["rows"]:
        return "no value rows yet"
    parts = [f"{values[key]} {key}" for key in ("verified", "blocked", "open") if values[key]]
    unit = "rows" if values["form"] == "table" else "items"
    return " · ".join(parts) + f"  (of {values['rows']} {unit})"


def _print(status: SprintStatus) -> None:
    rows = [
        ("sprint", f"{status.sprint}  ({status.dir})"),
        ("state", status.state_line),
        (
            "phase",
            f"{status.phase or 'not started'}   iteration {status.iteration}"
            f"  (outer loop {status.loop_iteration})",
        ),
        ("gates", f"{' '.join(status.gates) or 'none'}  ({len(status.gates)}/{len(KNOWN_GATES)})"),
        ("tasks", _counts_line(status.tasks)),
        ("tests", _counts_line(status.tests)),
        ("values", _values_line(status.values)),
        ("next task", status.next_task or "-"),
        ("next test", status.next_test or "-"),
    ]
    if status.continue_with:
        rows.insert(2, ("continue", status.continue_with))
    rows.insert(4 if status.continue_with else 3, ("step", _step_line(status)))
    if status.worktree is not None:
        rows.insert(1, ("worktree", f"{status.worktree}  (branch {status.branch or '-'})"))
    if status.ended is not None:
        rows.append(("ended", ended_line(ending.Ending(**_fields(status.ended)))))
    elif status.exit_code is not None:
        rows.append(("ended", f"exit {status.exit_code}"))
    if status.stashed:
        rows.append(("stashed", f"your uncommitted work; restore with: {status.stashed}"))
    rows.append(("budget", _budget_line(status.budget)))
    for held in status.withheld:
        rows.append(("withheld", f"{held.get('path')}: {held.get('reason')} (not committed)"))
    for service in status.services:
        last = (service["evidence"].strip().splitlines() or [""])[-1]
        when = str(service["at"])[11:19]  # the report's time of day, UTC
        rows.append((f"service {service['name']}", f"{service['state']} at {when}: {last}"))
    for role, totals in status.agents.items():
        rows.append((f"agent {role}", _agent_line(totals)))
    rows.append(("updated", status.updated or "-"))
    rows.extend(("warning", warning) for warning in status.warnings)
    for label, value in rows:
        click.echo(f"{label:<10} {value}")
    if status.recent:
        click.echo("recent")
        for event in status.recent:
            click.echo(f"  {describe_event(event)}")


def _fields(ended: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ended.items() if k != "outcome"}


def _step_line(status: SprintStatus) -> str:
    step = status.step or "-"
    return step + (f"  (working on {status.working_on})" if status.working_on else "")


def _budget_line(budget: dict[str, dict[str, float]]) -> str:
    if not budget:
        return "-"
    parts = []
    for key, label, unit in _SHOWN:
        entry = budget[key]
        limit = f" of {_amount(entry['limit'], unit)}" if entry["limit"] else ""
        parts.append(f"{label} {_amount(entry['used'], unit)}{limit}")
    return " · ".join(parts) + "  (this run)"


_SHOWN = (
    ("agent_calls", "agent calls", ""),
    ("cost_usd", "cost", "$"),
    ("wall_time", "wall time", "s"),
    ("loop_iterations", "loop passes", ""),
)


def _amount(value: float, unit: str) -> str:
    if unit == "$":
        return f"${value:.2f}"
    return f"{value:.0f}{unit}"


def describe_event(event: dict[str, Any]) -> str:
    """One line for an event: its time, type and what matters in it."""
    kind = str(event.get("type", "?"))
    when = str(event.get("time", ""))[11:19]
    detail = _DETAILS.get(kind, _generic)(event)
    return f"{when} {kind:<10} {detail}"[:160]


def _generic(event: dict[str, Any]) -> str:
    skip = {"time", "type"}
    return " ".join(f"{k}={v}" for k, v in event.items() if k not in skip and v not in (None, ""))


def _transition(event: dict[str, Any]) -> str:
    return f"{event.get('source')} --{event.get('outcome')}--> {event.get('dest')}"


def _agent(event: dict[str, Any]) -> str:
    about = event.get("task") or event.get("test") or event.get("vrc")
    line = f"{event.get('prompt')} ({event.get('role')}) {event.get('outcome')}"
    return line + (f" {about}" if about else "") + f" in {event.get('duration')}s"


def _message(event: dict[str, Any]) -> str:
    return str(event.get("message") or event.get("reason") or "")


_DETAILS: dict[str, Callable[[dict[str, Any]], str]] = {
    "transition": _transition,
    "agent": _agent,
    "note": _message,
    "stop": _message,
}


def _agent_line(totals: dict[str, Any]) -> str:
    cost = totals.get("cost_usd") or 0.0
    return f"{totals.get('calls', 0)} calls, {totals.get('duration', 0.0):.0f}s, ${cost:.2f}"


def _list(repo: Path, sprints_root: str, as_json: bool) -> int:
    names = sprints.list_sprints(repo, sprints_root)
    found = [collect(sprints.locate(repo, sprints_root, name)) for name in names]
    if as_json:
        click.echo(json.dumps({"sprints": [asdict(s) for s in found]}, indent=2))
        return 0
    if not found:
        click.echo(f"no sprints under {sprints_root}/ (create one: loopd init <sprint>)")
    for s in found:
        done, total = s.tasks.by_status["done"], s.tasks.total
        passed, tests = s.tests.by_status["passed"], s.tests.total
        where = s.worktree or "in place"
        click.echo(
            f"{s.sprint:<24} {_listed_state(s):<20} {s.phase or '-':<14} tasks {done}/{total}"
            f"  tests {passed}/{tests}  {where}"
        )
    return 0


def _listed_state(status: SprintStatus) -> str:
    """The sprint's state in one word, with the daemon's pid while one holds it."""
    pid = (status.daemon or {}).get("pid")
    return f"{status.state} (pid {pid})" if pid else status.state


def status(*, repo: Path, sprints_root: str, sprint: str | None, as_json: bool) -> int:
    """Print one sprint's status, or list the sprints when none is named."""
    if sprint is None:
        return _list(repo, sprints_root, as_json)
    result = collect(sprints.locate(repo, sprints_root, sprint))
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2))
    else:
        _print(result)
    return 0
