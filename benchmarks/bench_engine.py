"""Benchmark: the loop engine on a 1,000-task sprint.

1. Per-transition overhead, persistence included (LOOP_STATE.md, status.json,
   events.jsonl, the checkpoint), in-process with an instant agent, so what
   is timed is the engine: the steps, the checklist reads of a 1,000-task
   plan, the saves.  Target: <= 5 ms per transition.
2. A real daemon (``python -m loopd run``) working through the same sprint
   with a real agent process per call (a small bash script): its resident
   memory (target <= 80 MB), open file descriptors and child processes,
   sampled as it goes; both must stay flat over 1,000 loop iterations.

    python benchmarks/bench_engine.py [iterations]   # default 1000
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loopd.agents import AgentRequest, AgentResult
from loopd.checklist import DocKind, Status, edit
from loopd.clock import SystemClock
from loopd.config import load_config
from loopd.engine import assemble, machine
from loopd.engine.context import Context
from loopd.engine.spec import load_spec
from loopd.sprint import Sprint, locate

TASKS = 1000
PLANNED = (
    "# Loop State\n\nphase: 4\niteration: 0\ngates_passed: vrc1,craap,clarity,validate,"
    "connect,tidy,planning,vrc2,preflight,service_readiness,\n"
)
AGENT = r"""#!/bin/bash
# Marks the task it is asked to implement done; everything else is a no-op.
if [ "$LOOPD_PROMPT" = implement ] && [ -n "$LOOPD_TASK_ID" ]; then
  sed -i "s/- \[ \] \*\*$LOOPD_TASK_ID\*\*/- [x] **$LOOPD_TASK_ID**/" \
    "$LOOPD_SPRINT_DIR/IMPLEMENTATION_PLAN.md"
fi
[ "$LOOPD_VRC" = final ] && echo "VISION: DELIVERED"
echo done
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_sprint(root: Path, tasks: int = TASKS) -> Path:
    """A git repo whose sprint s1 is planned, with ``tasks`` BUILD tasks to implement."""
    repo = root / "repo"
    sprint = repo / "docs/sprints/s1"
    sprint.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@loopd.invalid")
    _git(repo, "config", "user.name", "bench")
    (sprint / "VISION.md").write_text("# Vision\n\nMany small parts.\n")
    (sprint / "PRD.md").write_text("# PRD\n\n- All the parts.\n")
    plan = "".join(
        f"- [ ] **BUILD-{n:04d}**: part {n}\n  Done when: it exists.\n" for n in range(tasks)
    )
    (sprint / "IMPLEMENTATION_PLAN.md").write_text("# Plan\n\n" + plan)
    (sprint / "BETA_TEST_PLAN_v1.md").write_text(
        '# Tests\n\n- [ ] **BT-001**: ok *(cmd: "true")*\n'
    )
    (sprint / "LOOP_STATE.md").write_text(PLANNED)
    (repo / "agent.sh").write_text(AGENT)
    (repo / ".loopd").mkdir()
    config = {
        "agent": {"backend": "command", "command": "bash agent.sh"},
        "git": {"commit": False},
        "limits": {"max_loop_iterations": tasks + 100, "spot_check_probability": 0},
    }
    (repo / ".loopd/config.yaml").write_text(json.dumps(config))
    (repo / ".gitignore").write_text(".loopd/\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "bench sprint")
    return repo


class InstantAgent:
    """Does what the bash agent does, in-process, and keeps the time it took."""

    def __init__(self, sprint: Sprint) -> None:
        self.sprint = sprint
        self.spent = 0.0
        self.calls = 0

    def call(self, request: AgentRequest) -> AgentResult:
        started = time.perf_counter()
        self.calls += 1
        if request.prompt_name == "implement" and request.task_id:
            task = request.task_id
            edit(self.sprint.plan, DocKind.PLAN, self.sprint.files_lock,
                 lambda c: c.set_status(task, Status.DONE))  # fmt: skip
        text = "VISION: DELIVERED" if request.vrc == "final" else "done"
        out = self.sprint.runtime / "bench.out"
        self.spent += time.perf_counter() - started
        return AgentResult(
            ok=True, text=text, output=text, stderr="", returncode=0, timed_out=False,
            duration=0.0, cost_usd=0.0, session_id=None, num_turns=None,
            permission_denials=(), fault=None, prompt_file=out, output_file=out, attempts=1,
        )  # fmt: skip


def transitions(iterations: int) -> None:
    """Per-transition overhead of the engine, in-process."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_sprint(Path(tmp))
        sprint = locate(repo, "docs/sprints", "s1")
        config = load_config(repo, sprint).config
        limits = dataclasses.replace(config.limits, max_loop_iterations=iterations)
        config = dataclasses.replace(config, limits=limits)
        ctx = assemble.build(sprint, config, SystemClock(), lambda _: None)
        agent = InstantAgent(sprint)
        ctx.agents = agent
        stamps: list[float] = []
        started = time.perf_counter()
        machine.run(load_spec(), ctx, on_step=lambda _: stamps.append(time.perf_counter()))
        total = time.perf_counter() - started
        steps = len(stamps)
        per = (total - agent.spent) / steps * 1000
        gaps = sorted(b - a for a, b in itertools.pairwise(stamps))
        print(f"engine, in-process: {steps} transitions over {iterations} loop iterations")
        print(f"  per transition (agent time taken out): {per:.2f} ms   (target <= 5 ms)")
        median, p95 = statistics.median(gaps) * 1000, gaps[int(len(gaps) * 0.95)] * 1000
        print(f"  step to step: median {median:.2f} ms, p95 {p95:.2f} ms (agent included)")
        print(
            f"  agent: {agent.calls} calls, {agent.spent * 1000 / max(agent.calls, 1):.2f} ms each"
        )
        persist(ctx)


def persist(ctx: Context, rounds: int = 300) -> None:
    """What the machine itself adds to a transition: the saves and the event line."""
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        step = "loop_start" if n % 2 else "implement"
        ctx.update(ctx.state.evolve(step=step, phase=step))
        ctx.write_status()
        ctx.events.append("transition", source="a", outcome="ok", dest=step)
        times.append(time.perf_counter() - started)
    times.sort()
    median, p95 = statistics.median(times) * 1000, times[int(rounds * 0.95)] * 1000
    print(f"  the transition itself (LOOP_STATE.md, status.json, event line): median {median:.2f}"
          f" ms, p95 {p95:.2f} ms")  # fmt: skip


def _children(pid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            count += 1
    return count


def _sample(pid: int) -> tuple[float, float, int, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    rss = int(fields["VmRSS"].split()[0]) / 1024
    peak = int(fields["VmHWM"].split()[0]) / 1024
    return rss, peak, sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir()), _children(pid)


def daemon(iterations: int) -> None:
    """A real daemon over ``iterations`` loop iterations: memory, descriptors, children."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_sprint(Path(tmp), tasks=iterations)
        argv = [sys.executable, "-m", "loopd", "-C", str(repo), "run", "s1", "--no-watch"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOOPD_")}
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=env)  # fmt: skip
        status = repo / ".loopd/s1/status.json"
        every = max(iterations // 10, 1)
        print(f"daemon: pid {child.pid}, {iterations} tasks, one agent process per call")
        print("  loop iteration   RSS MB   peak MB   fds   children")
        mark, started = 1, time.monotonic()
        while child.poll() is None:
            try:
                data = json.loads(status.read_text())
            except (OSError, ValueError):
                data = {}
            at = int(data.get("loop_iteration") or 0)
            if at >= mark:
                rss, peak, fds, kids = _sample(child.pid)
                print(f"  {at:>14}   {rss:>6.1f}   {peak:>7.1f}   {fds:>3}   {kids:>8}")
                mark += every
            if data.get("exit_code") is not None and data.get("step") == "done":
                time.sleep(0.5)  # the loop is over: the daemon idles
                rss, peak, fds, kids = _sample(child.pid)
                print(f"  idle after the loop   {rss:>6.1f}   {peak:>7.1f}   {fds:>3}   {kids:>8}")
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        child.terminate()
        child.wait(timeout=30)
        print(f"  {elapsed:.0f} s in all; targets: RSS <= 80 MB, fds and children flat")


def main() -> None:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    transitions(min(iterations, 300))
    daemon(iterations)


if __name__ == "__main__":
    main()
