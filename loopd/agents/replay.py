"""The replay agent: a scripted, deterministic agent for the demo and the tests.

It runs as a real child process (``python -m loopd.agents.replay --script
PATH --state PATH``) through the same runner path as Claude, so the agent
contract (prompt on stdin, ``LOOPD_*`` environment, process group, timeouts)
is exercised for real.  It reads the prompt, picks the first rule whose
conditions hold and whose ``times`` is not used up, and performs its actions.
No matching rule is a loud failure (exit 1, naming the prompt and ids),
never a silent success.

Script format (YAML)::

    rules:
      - name: plan                 # optional; names the rule in counts and messages
        when:                      # every condition must hold (none: always)
          prompt: plan             # LOOPD_PROMPT   (shell-style globs: "fix*")
          role: plan               # LOOPD_ROLE
          task: BUILD-*            # LOOPD_TASK_ID
          test: BT-001             # LOOPD_TEST_ID
          attempt: 2               # LOOPD_ATTEMPT
          vrc: final               # LOOPD_VRC
          contains: "401 Unauthorized"   # the prompt contains it (a list: all of them)
        times: 1                   # use at most once; counted across calls and restarts
        do:
          - write: {path: "$LOOPD_SPRINT_DIR/IMPLEMENTATION_PLAN.md", content: "..."}
          - patch: {path: src/app.py, old: "return 1", new: "return 2"}
          - mark: {id: BUILD-1, doc: plan, status: done}    # doc: plan | test_plan
          - append_task: {id: FIX-BT-001, text: "Fix login", doc: plan}
          - run: "make build"      # shell command; non-zero exit ends the agent
          - print: "RESULT: PASS"
          - sleep: 0.5
          - result: {text: "done", cost: 0.01}    # Claude-style JSON result, then exit
          - exit: 3
          - fail: "cannot fix this"               # message on stderr, exit 1

Paths are relative to the repo root (the agent's working directory); ``$VARS``
in them are expanded from the environment.  After the last action the agent
exits 0.  ``times`` counts live in the state file the runner passes
(``.loopd/<sprint>/replay-state.json``), keyed by script and rule name.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from loopd.agents.replay_script import (
    AppendTask,
    Call,
    Exit,
    Fail,
    Mark,
    Patch,
    Print,
    Result,
    Rule,
    Run,
    Script,
    Sleep,
    Write,
    load_script,
)
from loopd.checklist import Checklist, DocKind, Status, edit
from loopd.errors import LoopdError
from loopd.fsio import atomic_write, locked, read_text
from loopd.sprint import Sprint

STATUSES = {
    "done": Status.DONE,
    "blocked": Status.BLOCKED,
    "user": Status.USER,
    "pending": Status.PENDING,
}
EXIT_NO_RULE = 1
EXIT_BAD_SCRIPT = 2


def pick(script: Script, call: Call, state: Path) -> Rule | None:
    """The first rule that matches ``call`` and has uses left; its use is recorded."""
    with locked(state.with_name(state.name + ".lock")):
        counts = _read_counts(state)
        used = counts.setdefault(str(script.path.resolve()), {})
        for rule in script.rules:
            if rule.matches(call) and (rule.times is None or used.get(rule.name, 0) < rule.times):
                used[rule.name] = used.get(rule.name, 0) + 1
                atomic_write(state, json.dumps(counts, indent=2, sort_keys=True) + "\n")
                return rule
    return None


def _read_counts(state: Path) -> dict[str, dict[str, int]]:
    if not state.exists():
        return {}
    try:
        counts = json.loads(read_text(state))
    except ValueError:
        raise LoopdError("replay state is not valid JSON", path=state) from None
    if not isinstance(counts, dict):
        raise LoopdError("replay state is not a JSON object", path=state)
    return counts


class _Stop(Exception):
    """An action ended the agent with an exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Performer:
    """Carries out a rule's actions in the repo the agent was started in."""

    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def perform(self, rule: Rule) -> int:
        """Run every action in order; the exit code the agent ends with."""
        try:
            for action in rule.actions:
                getattr(self, f"_{action.verb}")(action)
        except _Stop as stop:
            return stop.code
        return 0

    def path(self, raw: str) -> Path:
        expanded = os.path.expandvars(raw)
        return self.cwd / expanded

    def _write(self, action: Write) -> None:
        atomic_write(self.path(action.path), action.content)

    def _patch(self, action: Patch) -> None:
        path = self.path(action.path)
        text = read_text(path)
        if action.old not in text:
            raise LoopdError(f"patch: text to replace not found: {action.old!r}", path=path)
        atomic_write(path, text.replace(action.old, action.new, 1))

    def _mark(self, action: Mark) -> None:
        status = STATUSES[action.status]
        self._edit(action.doc, lambda doc: doc.set_status(action.id, status))

    def _append_task(self, action: AppendTask) -> None:
        self._edit(action.doc, lambda doc: doc.append_task(action.id, action.text))

    def _edit(self, doc: str, change: Callable[[Checklist], Checklist]) -> None:
        name, directory = self.env.get("LOOPD_SPRINT"), self.env.get("LOOPD_SPRINT_DIR")
        if not name or not directory:
            raise LoopdError("checklist actions need LOOPD_SPRINT and LOOPD_SPRINT_DIR")
        sprint = Sprint(name=name, repo=self.cwd, dir=Path(directory))
        path, kind = (
            (sprint.plan, DocKind.PLAN) if doc == "plan" else (sprint.beta_plan, DocKind.TEST_PLAN)
        )
        edit(path, kind, sprint.files_lock, change)

    def _run(self, action: Run) -> None:
        sys.stdout.flush()
        # Deliberately not loopd.proc: the command must stay in this agent's
        # process group, so that loopd's timeout kills it along with us.
        done = subprocess.run(action.command, shell=True, cwd=self.cwd, check=False)
        if done.returncode != 0:
            raise _Stop(done.returncode)

    def _print(self, action: Print) -> None:
        print(action.text, flush=True)

    def _sleep(self, action: Sleep) -> None:
        time.sleep(action.seconds)

    def _exit(self, action: Exit) -> None:
        raise _Stop(action.code)

    def _result(self, action: Result) -> None:
        document = {
            "type": "result",
            "subtype": "success",
            "is_error": action.is_error,
            "result": action.text,
            "total_cost_usd": action.cost,
            "session_id": action.session_id,
            "num_turns": action.num_turns,
            "permission_denials": [],
        }
        print(json.dumps(document), flush=True)
        raise _Stop(1 if action.is_error else 0)

    def _fail(self, action: Fail) -> None:
        print(action.message, file=sys.stderr, flush=True)
        raise _Stop(1)


def main(argv: Sequence[str] | None = None) -> int:
    """The replay agent's entry point; returns its exit code."""
    parser = argparse.ArgumentParser(prog="loopd-replay", description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        script = load_script(args.script)
    except LoopdError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return EXIT_BAD_SCRIPT
    call = Call(env=dict(os.environ), prompt=sys.stdin.read())
    try:
        rule = pick(script, call, args.state)
        if rule is None:
            print(f"replay: no rule in {script.path} matches {call.describe()}", file=sys.stderr)
            return EXIT_NO_RULE
        return Performer(call.env, Path.cwd()).perform(rule)
    except LoopdError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
