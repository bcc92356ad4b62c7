"""Persistence and resume: a sprint killed with SIGKILL at any point ends as if never killed.

The greeter sprint (planning with a gate that retries, implementation,
testing, the final VRC, completion) is run once uninterrupted.  Then copies
of it are run as separate ``loopd run`` processes and killed with SIGKILL,
together with the agent (a crash: nothing gets to clean up), over and over:

- after a transition of the loop, every first or second one (at a varying
  moment after it, so also in the middle of the next step);
- around every agent call, in turn: while it runs, the moment it has
  finished (before loopd has saved that it did), and a little later (the
  step's own work after the call, e.g. its commit).

After each kill the next ``loopd run`` resumes; the last one runs to the
end.  Plans, test plans, exit code, gates and counters must all match the
uninterrupted run: every step is idempotent or checkpointed.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loopd import proc
from loopd.engine.spec import load_spec
from tests.conftest import init_repo
from tests.integration.sprints import (
    Outcome,
    argv,
    environment,
    events,
    install,
    loopd,
    outcome,
    state,
    wait_for,
)


def _transitions(repo: Path) -> int:
    path = repo / ".loopd/s1/events.jsonl"
    return path.read_bytes().count(b'"type":"transition"') if path.exists() else 0


def _calls_started(repo: Path) -> int:
    return sum(1 for _ in (repo / ".loopd/s1/runs").glob("*/*.prompt.md"))


def _calls_finished(repo: Path) -> int:
    path = repo / ".loopd/s1/events.jsonl"
    return path.read_bytes().count(b'"type":"agent"') if path.exists() else 0


def _where(repo: Path, kind: str) -> str:
    """The state the kill hit (transitions), or the call it cut short (``NNN-role-id``)."""
    if kind == "call":
        started = sorted((repo / ".loopd/s1/runs").glob("*/*.prompt.md"), key=os.path.getmtime)
        return started[-1].name.removesuffix(".prompt.md")
    found = [e for e in events(repo) if e["type"] == "transition"]
    return found[-1]["dest"] if found else "start"


def _run_until(repo: Path, reached: Callable[[], bool], delay: float) -> bool:
    """One ``loopd run``, SIGKILLed (with its agent) once ``reached``; False if it ended first."""
    child = proc.spawn(
        argv(repo, "run", "s1", "--once"),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: reached() or child.popen.poll() is not None)
    time.sleep(delay)
    ended = child.popen.poll() is not None
    for pid in child.members():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    child.popen.wait()
    return not ended


def _beyond(count: Callable[[Path], int], repo: Path, more: int) -> Callable[[], bool]:
    """True once ``count`` has grown by ``more`` from now."""
    target = count(repo) + more
    return lambda: count(repo) >= target


def _around_next_call(
    repo: Path, moment: int, rng: random.Random
) -> tuple[Callable[[], bool], float]:
    """When to kill around the next call: in it, just after it, or a little after it.

    The first call after a restart is let finish (it is usually the one the
    last kill cut short), so each run gets a call further.
    """
    more = 2 if _calls_started(repo) else 1
    if moment == 0:
        return _beyond(_calls_started, repo, more), rng.uniform(0, 0.1)
    delay = 0.0 if moment == 1 else rng.uniform(0.01, 0.08)
    return _beyond(_calls_finished, repo, more), delay


def _kill_chain(path: Path, kind: str) -> tuple[Outcome, list[str]]:
    """Kill a run of the sprint at every point of ``kind`` in turn; then finish it."""
    repo = init_repo(path)
    install(repo, "greeter")
    rng = random.Random(kind)
    killed: list[str] = []
    # A full success archives LOOP_STATE.md: past that, a run would start the sprint over.
    while len(killed) < 200 and not _archived(repo):  # each run gets at least one point further
        if kind == "transition":
            reached = _beyond(_transitions, repo, rng.choice((1, 2)))
            delay = rng.uniform(0, 0.03)
        else:
            reached, delay = _around_next_call(repo, len(killed) % 3, rng)
        if not _run_until(repo, reached, delay):
            break
        killed.append(_where(repo, kind))
    if not _archived(repo):
        last = loopd(repo, "run", "s1", "--once")
        assert last.returncode in (0, 1, 2), last.stdout + last.stderr
    return outcome(repo, state(repo).exit_code or 0), killed


def _archived(repo: Path) -> bool:
    return any(e["type"] == "archived" for e in events(repo))


def test_a_sprint_killed_anywhere_resumes_to_the_same_end(tmp_path: Path) -> None:
    base = init_repo(tmp_path / "uninterrupted")
    install(base, "greeter")
    done = loopd(base, "run", "s1", "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    expected = outcome(base, 0)
    spec = load_spec()

    with ThreadPoolExecutor(max_workers=2) as pool:
        chains = dict(
            zip(
                ("transition", "call"),
                pool.map(lambda k: _kill_chain(tmp_path / k, k), ("transition", "call")),
                strict=True,
            )
        )
    for kind, (got, killed) in chains.items():
        assert got == expected, f"killed after each {kind} at {killed}"
    # Kills landed all over the loop, and cut agent calls short in every phase.
    hit = set(chains["transition"][1])
    phases = {spec.states[name].phase for name in hit}
    assert len(hit) >= 12 and {"planning", "implementation", "completion"} <= phases, hit
    roles = {name.split("-")[1] for name in chains["call"][1]}
    assert {"plan", "gate", "implement", "vrc"} <= roles, chains["call"][1]
