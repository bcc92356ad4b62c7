"""Benchmark: what the agent runner adds around an agent call.

Runs real calls in a throw-away repo and prints median and p95 of:
- a bare ``/bin/true`` started through proc.run (the floor),
- a full runner call with the command backend running ``/bin/true`` (number
  the files, write prompt/out/json, sweep for leftovers, append the event),
- the same with a 300 KiB prompt,
- a replay-agent call (a Python child loading its script),
- the leftover sweep alone (one scan of /proc).
Target: runner overhead over the floor < 20 ms; a replay call < 300 ms.

    python benchmarks/bench_agents.py [rounds]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from loopd import proc
from loopd.agents import AgentRequest, AgentRunner, sweep
from loopd.config import default_config
from loopd.events import EventLog
from loopd.sprint import sprint_for

SCRIPT = "rules:\n  - when: {prompt: plan}\n    do: [{print: planned}]\n"


def measure(label: str, rounds: int, action: Callable[[], object]) -> float:
    """Run ``action`` ``rounds`` times; print and return the median in ms."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{label:<42} median {median:8.2f} ms   p95 {p95:8.2f} ms")
    return median


def runner(repo: Path, backend: str) -> AgentRunner:
    base = default_config()
    agent = replace(base.agent, backend=backend, command="/bin/true", replay_script=Path("r.yaml"))
    sprint = sprint_for(repo, "docs/sprints", "bench")
    return AgentRunner(
        replace(base, agent=agent),
        sprint,
        sprint.runtime / "runs" / "bench",
        EventLog(sprint.runtime / "events.jsonl"),
    )


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "docs" / "sprints" / "bench").mkdir(parents=True)
        (repo / "r.yaml").write_text(SCRIPT)
        small = AgentRequest(role="plan", prompt_name="plan", prompt="Plan the sprint.\n")
        large = replace(small, prompt="x" * 300 * 1024)
        command, replay = runner(repo, "command"), runner(repo, "replay")
        floor = measure("proc.run /bin/true", rounds, lambda: proc.run(["/bin/true"]))
        call = measure("runner call, command /bin/true", rounds, lambda: command.call(small))
        measure("runner call, 300 KiB prompt", rounds, lambda: command.call(large))
        measure("runner call, replay agent", max(rounds // 5, 3), lambda: replay.call(small))
        measure("sweep alone (scan /proc)", rounds, lambda: sweep.sweep("NO_SUCH", "x", 1.0))
        print(f"{'runner overhead over the floor':<42} {call - floor:8.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
