"""A tiny real project in a git repo, and a real Context over it, for the test engine tests.

The agent is the real runner with the replay backend (a child process);
git is the real git seam on the repo; there are no services.
"""

from __future__ import annotations

import dataclasses
import json
import random
import shlex
import sys
from dataclasses import dataclass
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
from loopd.sprint import Sprint, locate
from loopd.state import load_state
from loopd.testengine import EvidenceTestEngine
from tests.conftest import git

PY = shlex.quote(sys.executable)
SD = "$LOOPD_SPRINT_DIR"

# The project: check.py plays an HTTP API whose auth and totals can be broken.
CHECK_PY = """\
import json, sys
settings = json.load(open("settings.json"))
resource = sys.argv[1]
if settings["auth"] != "ok":
    print(f"GET /api/{resource} -> sending request", flush=True)
    print(f"GET /api/{resource} returned 401 Unauthorized", file=sys.stderr)
    sys.exit(1)
if resource == "orders" and not settings.get("currency"):
    print("orders: missing currency field in the order total", file=sys.stderr)
    sys.exit(1)
print(f"GET /api/{resource} returned 200 OK")
"""
PLAN = """# Implementation plan

- [x] **BUILD-001**: the API
"""


def check(resource: str) -> str:
    """A cmd annotation running check.py for ``resource``."""
    return f'*(cmd: "{PY} check.py {resource}")*'


def settings(auth: str = "ok", currency: bool = True) -> str:
    return json.dumps({"auth": auth, "currency": "EUR" if currency else ""}) + "\n"


def write_settings_action(auth: str = "ok", currency: bool = True) -> dict[str, Any]:
    """A replay action writing settings.json."""
    return {"write": {"path": "settings.json", "content": settings(auth, currency)}}


@dataclass
class Project:
    """The fixture repo, its sprint and the replay script the agent follows."""

    repo: Path
    sprint: Sprint
    script: Path

    def rules(self, rules: list[dict[str, Any]]) -> None:
        """Set the replay agent's rules (a catch-all that fails loudly is appended)."""
        catch_all = {"name": "unexpected", "do": [{"fail": "no rule for this call"}]}
        self.script.write_text(yaml.safe_dump({"rules": [*rules, catch_all]}, sort_keys=False))

    def tests(self) -> Checklist:
        return Checklist.load(self.sprint.beta_plan, DocKind.TEST_PLAN)

    def plan(self) -> Checklist:
        return Checklist.load(self.sprint.plan, DocKind.PLAN)

    def status(self, test_id: str) -> Status:
        item = self.tests().get(test_id)
        assert item is not None, test_id
        return item.status

    def agent_calls(self, role: str | None = None) -> list[dict[str, Any]]:
        """The agent events so far (of ``role``)."""
        events = read_events(self.sprint.runtime / "events.jsonl")
        return [e for e in events if e["type"] == "agent" and role in (None, e.get("role"))]

    def prompts(self, role: str) -> list[str]:
        """The prompts sent to agents of ``role``, oldest first."""
        runs = self.sprint.runtime / "runs"
        files = sorted(runs.rglob(f"*-{role}-*.prompt.md"))
        return [f.read_text() for f in files]

    def log(self) -> list[str]:
        """Commit subjects, newest first."""
        return git(self.repo, "log", "--format=%s").splitlines()


def make_project(repo: Path, sprint_dir: Path, beta: str, *, plan: str = PLAN) -> Project:
    """The fixture project committed in ``repo`` with this test plan."""
    (repo / ".gitignore").write_text(".loopd/\n__pycache__/\n")
    (repo / "check.py").write_text(CHECK_PY)
    (repo / "settings.json").write_text(settings())
    (sprint_dir / "IMPLEMENTATION_PLAN.md").write_text(plan)
    (sprint_dir / "BETA_TEST_PLAN_v1.md").write_text(beta)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    git(repo, "checkout", "-q", "-b", "loop-v2/s1-test")  # the loop never commits on main
    sprint = locate(repo, "docs/sprints", "s1")
    script = sprint.runtime / "replay.yaml"
    script.parent.mkdir(parents=True, exist_ok=True)
    project = Project(repo, sprint, script)
    project.rules([])
    return project


def config_for(project: Project, **changes: Any) -> Config:
    """Defaults with the replay agent, no spot checks, and ``section__key=value`` changes."""
    base = default_config()
    sections: dict[str, dict[str, Any]] = {
        "agent": {"backend": "replay", "replay_script": project.script},
        "limits": {"spot_check_probability": 0},
        "timeouts": {"kill_grace": 0.5},
        "retries": {"attempts": 0},
    }
    for key, value in changes.items():
        section, name = key.split("__")
        sections.setdefault(section, {})[name] = value
    for section, values in sections.items():
        changed = dataclasses.replace(getattr(base, section), **values)
        base = dataclasses.replace(base, **{section: changed})
    return base


def context(
    project: Project,
    config: Config,
    *,
    seed: int = 7,
    notes: list[str] | None = None,
) -> Context:
    """A fresh Context with a seeded engine, as the loop has it at the start of a step.

    The state is read from disk; the checkpoint of the previous step is
    cleared, as the loop's transitions do.
    """
    sprint = project.sprint
    clock = SystemClock()
    events = EventLog(sprint.runtime / "events.jsonl", clock)
    runs = sprint.runtime / "runs" / "test"
    return Context(
        sprint=sprint,
        config=config,
        state=checkpoint.cleared(load_state(sprint.state_file)),
        agents=AgentRunner(config, sprint, runs, events, clock),
        git=GitSeam(project.repo, config.git, events, clock),
        services=NoServices(),
        tests_engine=EvidenceTestEngine(random.Random(seed)),
        events=events,
        clock=clock,
        report=notes.append if notes is not None else (lambda _: None),
    )
