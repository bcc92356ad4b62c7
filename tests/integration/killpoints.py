"""Kill a whole sprint run at one of its durable writes, resume it, and say what it ended as.

loopd names every durable write it makes (:mod:`loopd.crashpoint`): an
uncrashed run with ``LOOPD_CRASH_TRACE`` lists them in order, and a run with
``LOOPD_CRASH_AT=#k`` SIGKILLs itself right after the k-th.  :func:`run`
does one kill and the resume a user would do (``loopd run`` again), and
returns the :class:`End` to compare with the uncrashed run's.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import git, init_repo
from tests.integration.sprints import Outcome, install, loopd, outcome, state

SCENARIOS = {
    # name: (fixture, replay script or None for the fixture's own)
    "greeter": ("greeter", None),
    "regression": ("wordcount", ".loopd/replay-regression.yaml"),
}


@dataclass(frozen=True)
class End:
    """What a finished run left behind: everything a kill must not change."""

    outcome: Outcome
    commits: tuple[str, ...]
    agent_calls: int


def prepare(path: Path, scenario: str) -> Path:
    repo = init_repo(path)
    install(repo, SCENARIOS[scenario][0])
    return repo


def environment(scenario: str, **more: str) -> dict[str, str]:
    script = SCENARIOS[scenario][1]
    return {**({"LOOPD_AGENT_REPLAY_SCRIPT": script} if script else {}), **more}


def write_points(path: Path, scenario: str, **env: str) -> tuple[End, list[str]]:
    """The uncrashed run's end and its durable writes, in order."""
    repo = prepare(path, scenario)
    trace = path.parent / f"{path.name}.trace"
    traced = environment(scenario, LOOPD_CRASH_TRACE=str(trace), **env)
    done = loopd(repo, "run", "s1", "--once", env=traced)
    assert done.returncode in (0, 1, 2), done.stdout + done.stderr
    return end_of(repo, done.returncode), trace.read_text().splitlines()


def killed_at(path: Path, scenario: str, crash_at: str, **env: str) -> End:
    """Run ``scenario``, killed right after write ``crash_at`` (``#k``, ``name:n``); resume."""
    repo = prepare(path, scenario)
    crashing = environment(scenario, LOOPD_CRASH_AT=crash_at, **env)
    first = loopd(repo, "run", "s1", "--once", env=crashing)
    assert first.returncode == -9, f"not killed at {crash_at}: {first.stdout}{first.stderr}"
    return resumed(repo, scenario, **env)


def resumed(repo: Path, scenario: str, **env: str) -> End:
    """``loopd run`` again, as a user would after the kill (unless the run had ended)."""
    runtime = repo / ".loopd" / "s1"
    if (runtime / "ending.json").exists() and not (runtime / "end-intent.json").exists():
        code = state(repo).exit_code
        assert code is not None
        return end_of(repo, code)
    done = loopd(repo, "run", "s1", "--once", env=environment(scenario, **env))
    assert done.returncode in (0, 1, 2), done.stdout + done.stderr
    return end_of(repo, done.returncode)


def end_of(repo: Path, code: int) -> End:
    # Topological: commits made within one second have no stable date order.
    commits = git(repo, "log", "--branches", "--topo-order", "--format=%s").splitlines()
    calls = sum(1 for _ in (repo / ".loopd" / "s1" / "runs").glob("*/*.prompt.md"))
    found = outcome(repo, code)
    documents = {"plan": _stable(found.plan), "tests": _stable(found.tests)}
    return End(dataclasses.replace(found, **documents), tuple(commits), calls)


def _stable(document: str) -> str:
    """``document`` without what differs between any two runs: run directories, commit ids.

    Each process has its own run directory (named by time and pid) and every
    commit id depends on the time; the evidence a task points to is compared
    by its role and test (``runs/*/regression-BT-001``).
    """
    document = re.sub(r"runs/[^/\s]+/\d+-", "runs/*/", document)
    return re.sub(r"\b(check at) [0-9a-f]{7,40}\b", r"\1 <commit>", document)
