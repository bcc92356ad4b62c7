"""Benchmark: agent calls and wall time of the test engine, loopd's way vs loop-v2's switches.

Scenario A: a project with 30 tests (20 with a cmd check, 10 only an agent
can run; half of those report a REPRO command) failing on 3 root causes
(a 401 from broken auth, a missing currency field, a wrong time zone), 10
tests each.  The replay agent plays every agent with 50 ms of latency:
the test runner runs the real check; a fixer given the evidence finds the
cause at once, a fixer without it guesses wrong once per cause, then finds
it.  The loop is driven round after round until testing ends, then the
final regression sweep runs.  "loopd" is the default config; "loop-v2" sets
policy.withhold_evidence, policy.fixer_per_test and policy.agent_regression.

Scenario B: a final regression sweep over 50 passing tests with commands.

Targets: scenario A with <= 0.4x the agent calls of loop-v2's switches;
scenario B with 0 agent calls.

    python benchmarks/bench_testengine.py
"""

from __future__ import annotations

import collections
import dataclasses
import json
import random
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from loopd.agents import AgentRunner
from loopd.checklist import Checklist, DocKind, Status
from loopd.clock import SystemClock
from loopd.commands.regression import NoServices
from loopd.config import Config, default_config
from loopd.engine import checkpoint
from loopd.engine.context import Context
from loopd.events import EventLog, read_events
from loopd.gitseam import GitSeam
from loopd.sprint import locate
from loopd.state import LoopState
from loopd.testengine import EvidenceTestEngine

LATENCY = 0.05
PY = shlex.quote(sys.executable)
CAUSES = {
    "auth": ("401 Unauthorized", "GET /api/{r} returned 401 Unauthorized"),
    "currency": ("missing currency field", "{r}: missing currency field in the total"),
    "timezone": ("timezone offset wrong", "{r}: timezone offset wrong, 2026-01-01T10:00+02:00"),
}
CHECK_PY = """\
import json, sys
resource, cause = sys.argv[1], sys.argv[2]
fixed = json.load(open("fixed.json"))
messages = MESSAGES
if not fixed.get(cause):
    print(messages[cause].format(r=resource), file=sys.stderr)
    sys.exit(1)
print("ok")
"""
AGENT_CHECK_PY = """\
import subprocess, sys
test = sys.argv[1]
resource, cause, repro = TESTS[test]
done = subprocess.run([sys.executable, "check.py", resource, cause], capture_output=True, text=True)
print("RESULT: " + ("PASS" if done.returncode == 0 else "FAIL"))
print("EVIDENCE: " + (done.stdout or done.stderr).strip())
if repro:
    print(f"REPRO: {sys.executable} check.py {resource} {cause}")
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_lines(total: int, agent_only: int) -> tuple[list[str], dict[str, tuple[str, str, bool]]]:
    """Test-plan lines (cmd tests first, then agent-only ones) and every test's facts."""
    lines, facts = [], {}
    names = list(CAUSES)
    for n in range(1, total + 1):
        cause, resource, test_id = names[n % len(names)], f"r{n}", f"BT-{n:03d}"
        text = f"- [ ] **{test_id}**: {resource} works (area: {cause})"
        command = n <= total - agent_only
        # Half the agent-only tests' runners report a REPRO command.
        facts[test_id] = (resource, cause, not command and n % 2 == 0)
        lines.append(f'{text} *(cmd: "{PY} check.py {resource} {cause}")*' if command else text)
    return lines, facts


def make_repo(root: Path, total: int, agent_only: int, fixed: bool) -> Path:
    repo = root / "repo"
    sprint_dir = repo / "docs" / "sprints" / "s1"
    sprint_dir.mkdir(parents=True)
    lines, facts = test_lines(total, agent_only)
    messages = {cause: text for cause, (_, text) in CAUSES.items()}
    (repo / "check.py").write_text(CHECK_PY.replace("MESSAGES", repr(messages)))
    (repo / "agent_check.py").write_text(AGENT_CHECK_PY.replace("TESTS", repr(facts)))
    (repo / "fixed.json").write_text(json.dumps(dict.fromkeys(CAUSES, fixed)))
    (repo / ".gitignore").write_text(".loopd/\n__pycache__/\n")
    (sprint_dir / "VISION.md").write_text("# Vision\n")
    (sprint_dir / "PRD.md").write_text("# PRD\n")
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text("# Plan\n\n- [x] **BUILD-001**: api\n")
    marker = "x" if fixed else " "
    plan = "\n".join(line.replace("[ ]", f"[{marker}]", 1) for line in lines)
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text(f"# Beta test plan\n\n{plan}\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "bench@loopd.invalid")
    git(repo, "config", "user.name", "bench")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    git(repo, "checkout", "-q", "-b", "loop-v2/s1-bench")
    return repo


def rules() -> list[dict[str, Any]]:
    wait = {"sleep": LATENCY}
    found: list[dict[str, Any]] = [
        {
            "name": "runner",
            "when": {"prompt": "test-runner"},
            "do": [wait, {"run": f"{PY} agent_check.py $LOOPD_TEST_ID"}],
        }
    ]
    for cause, (evidence, _) in CAUSES.items():
        fix = {"run": f'{PY} -c "{fix_code(cause)}"'}
        area = f"(area: {cause})"
        found += [
            {"name": f"{cause}-seen", "when": {"prompt": "fix", "contains": evidence},
             "do": [wait, fix, {"print": f"fixed {cause}"}]},
            {"name": f"{cause}-guess", "when": {"prompt": "fix", "contains": area}, "times": 1,
             "do": [wait, {"print": "guessed wrong"}]},
            {"name": f"{cause}-found", "when": {"prompt": "fix", "contains": area},
             "do": [wait, fix, {"print": f"fixed {cause}"}]},
        ]  # fmt: skip
    return found


def fix_code(cause: str) -> str:
    return (
        "import json; f = json.load(open('fixed.json')); "
        f"f['{cause}'] = True; json.dump(f, open('fixed.json', 'w'))"
    )


def config(repo: Path, loop_v2: bool) -> Config:
    base = default_config()
    script = repo / ".loopd" / "replay.yaml"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(yaml.safe_dump({"rules": rules()}, sort_keys=False))
    agent = dataclasses.replace(base.agent, backend="replay", replay_script=script)
    policy = dataclasses.replace(
        base.policy, withhold_evidence=loop_v2, fixer_per_test=loop_v2, agent_regression=loop_v2
    )
    return dataclasses.replace(base, agent=agent, policy=policy)


def context(repo: Path, cfg: Config, engine: EvidenceTestEngine) -> Context:
    sprint = locate(repo, "docs/sprints", "s1")
    clock = SystemClock()
    events = EventLog(sprint.runtime / "events.jsonl", clock)
    runs = sprint.runtime / "runs" / "bench"
    return Context(
        sprint=sprint,
        config=cfg,
        state=LoopState(sprint="s1"),
        agents=AgentRunner(cfg, sprint, runs, events, clock),
        git=GitSeam(repo, cfg.git, events, clock),
        services=NoServices(),
        tests_engine=engine,
        events=events,
        clock=clock,
        report=lambda _: None,
    )


@dataclasses.dataclass
class Figures:
    calls: collections.Counter[str]
    seconds: float
    passed: int
    blocked: int
    rounds: int = 0


def figures(ctx: Context, seconds: float, rounds: int = 0) -> Figures:
    events = read_events(ctx.sprint.runtime / "events.jsonl")
    calls = collections.Counter(str(e["role"]) for e in events if e["type"] == "agent")
    tests = Checklist.load(ctx.sprint.beta_plan, DocKind.TEST_PLAN).tests()
    passed = sum(t.status is Status.DONE for t in tests)
    blocked = sum(t.status is Status.BLOCKED for t in tests)
    return Figures(calls, seconds, passed, blocked, rounds)


def scenario_a(loop_v2: bool) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp), total=30, agent_only=10, fixed=False)
        engine = EvidenceTestEngine(random.Random(2026))
        ctx = context(repo, config(repo, loop_v2), engine)
        start, rounds = time.perf_counter(), 0
        while rounds < 200 and ctx.tests().pending():
            rounds += 1
            # What the loop's transition into the next testing step does.
            ctx.update(checkpoint.cleared(ctx.state).evolve(iteration=ctx.state.iteration + 1))
            ctx.begin_step()
            if engine.iteration(ctx).outcome == "stop":
                break
        engine.sweep(ctx, "completion")
        return figures(ctx, time.perf_counter() - start, rounds)


def scenario_b(loop_v2: bool) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp), total=50, agent_only=0, fixed=True)
        engine = EvidenceTestEngine(random.Random(2026))
        ctx = context(repo, config(repo, loop_v2), engine)
        start = time.perf_counter()
        engine.sweep(ctx, "completion")
        return figures(ctx, time.perf_counter() - start)


def row(label: str, ours: float, theirs: float, fmt: str = "{:.0f}") -> None:
    ratio = f"{ours / theirs:.2f}x" if theirs else "-"
    print(f"{label:<28} {fmt.format(ours):>14} {fmt.format(theirs):>16} {ratio:>8}")


def table(title: str, ours: Figures, theirs: Figures) -> None:
    print(f"\n{title}")
    print(f"{'':<28} {'loopd defaults':>14} {'loop-v2 switches':>16} {'ratio':>8}")
    for role in sorted(set(ours.calls) | set(theirs.calls)):
        row(f"agent calls: {role}", ours.calls[role], theirs.calls[role])
    row("agent calls: total", sum(ours.calls.values()), sum(theirs.calls.values()))
    row("wall time (s)", ours.seconds, theirs.seconds, "{:.1f}")
    if ours.rounds or theirs.rounds:
        row("test rounds", ours.rounds, theirs.rounds)
    row("tests passed", ours.passed, theirs.passed)
    row("tests blocked", ours.blocked, theirs.blocked)


def main() -> None:
    ours, theirs = scenario_a(loop_v2=False), scenario_a(loop_v2=True)
    table("A: 30 tests (20 cmd, 10 agent-only), 3 root causes, 50 ms agent latency", ours, theirs)
    ratio = sum(ours.calls.values()) / max(1, sum(theirs.calls.values()))
    print(f"target A: <= 0.40x the agent calls: {ratio:.2f}x")
    sweep_ours, sweep_theirs = scenario_b(loop_v2=False), scenario_b(loop_v2=True)
    table("B: final regression sweep, 50 passing tests with commands", sweep_ours, sweep_theirs)
    print(f"target B: 0 agent calls: {sum(sweep_ours.calls.values())}")


if __name__ == "__main__":
    main()
