"""Running an agent call by the agent contract, with retries for infrastructure faults.

One call: save the prompt in the run directory, start the backend's command
in its own process group (cwd = repo root, prompt on stdin, loop-v2's
exported variables and the ``LOOPD_*`` environment, no ``CLAUDECODE``) as
:mod:`loopd.agents.execute` does, read its output with the backend, save a
JSON record, append an event.  A work failure is returned as it is.  A
transient infrastructure fault (network, 5xx, overload, rate limit) is retried
after the configured backoff, each retry said on a line of its own ("agent
vrc: overloaded, retry 2/3 in 10 s"); once the retries are spent, or at once
for a fault waiting cannot fix (not logged in, invalid key, binary missing),
it is raised as :class:`InfrastructureError`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopd import fsio, proc
from loopd.agents import faults, rundir
from loopd.agents.backends import make_backend
from loopd.agents.base import Backend, Invocation, Parsed
from loopd.agents.environ import DROPPED_VARS, loop_v2_variables
from loopd.agents.execute import execute
from loopd.agents.model import AgentRequest, AgentResult, Fault, InfrastructureError
from loopd.clock import Clock, SystemClock
from loopd.config import Config
from loopd.events import AGENT_EVENT, OUTCOME_OK, OUTCOME_TIMEOUT, OUTCOME_WORK_FAILED, EventLog
from loopd.redact import Redactor, env_secrets, environ_secrets
from loopd.sprint import Sprint

# The per-call variables of the agent contract; stale values inherited from
# an outer loopd must never leak into a call that does not set them.
CONTRACT_VARS = (
    "LOOPD_ROLE",
    "LOOPD_PROMPT",
    "LOOPD_SPRINT",
    "LOOPD_SPRINT_DIR",
    "LOOPD_RUN_DIR",
    "LOOPD_TASK_ID",
    "LOOPD_TEST_ID",
    "LOOPD_ATTEMPT",
    "LOOPD_EVIDENCE_FILE",
    "LOOPD_VRC",
)


@dataclass(frozen=True)
class _Attempt:
    """One try of a call, before it becomes an AgentResult."""

    files: rundir.CallFiles
    invocation: Invocation
    completed: proc.Completed
    parsed: Parsed


class AgentRunner:
    """Runs agent calls for one sprint, recording each in ``run_dir`` and the event log."""

    def __init__(
        self,
        config: Config,
        sprint: Sprint,
        run_dir: Path,
        events: EventLog,
        clock: Clock | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.sprint = sprint
        self.run_dir = run_dir
        self.events = events
        self.clock: Clock = clock or SystemClock()
        self.backend: Backend = make_backend(config, sprint)
        self._environ = environ
        # Where the user sees the loop's lines (the daemon log, the live panel).
        self.note = note

    @property
    def redact(self) -> Redactor:
        """Prompts carry sprint documents and evidence; outputs may echo anything
        the agent saw: neither reaches the run directory or the log unredacted.

        Read afresh each time (0.2 ms): a .env file created during a long run,
        even by the agent in this very call, is honoured.  The values of
        secret-named variables the agent inherits (loopd's environment and
        what loop-config.sh exported) are masked too.
        """
        return self.redactor()

    def redactor(self, request: AgentRequest | None = None) -> Redactor:
        """:attr:`redact`, knowing also the secret-named variables ``request`` adds."""
        environ = {**self._base_environ, **self.config.exports}
        if request is not None:
            environ.update(request.env)
        known = [*env_secrets(self.sprint.repo), *environ_secrets(environ)]
        return Redactor.with_values(known)

    @property
    def _base_environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def call(self, request: AgentRequest) -> AgentResult:
        """Run ``request``; retry infrastructure faults, then raise InfrastructureError."""
        retry = 0
        while True:
            result = self._once(request, retry)
            fault = result.fault
            if fault is None:
                return result
            if not fault.retried or retry >= self.config.retries.attempts:
                raise self._give_up(request, result, fault)
            retry += 1
            self._announce(request, fault, retry)
            self.clock.sleep(self.config.retries.delay(retry))

    def _announce(self, request: AgentRequest, fault: Fault, retry: int) -> None:
        """``agent vrc: overloaded, retry 2/3 in 10 s`` in the log, the panel and the events."""
        attempts, delay = self.config.retries.attempts, self.config.retries.delay(retry)
        who = " ".join(part for part in (request.role, request.task_id or request.test_id) if part)
        line = f"agent {who}: {faults.LABELS[fault]}, retry {retry}/{attempts} in {delay:g} s"
        self.events.append(
            "agent_retry", role=request.role, fault=fault.value, retry=retry, delay=delay
        )
        if self.note is not None:
            self.note(line)

    def environment(self, request: AgentRequest) -> dict[str, str]:
        """The agent's environment: ours minus CLAUDECODE, what loop-config.sh
        exported, loop-v2's exported variables, the request's own, then the
        contract's ``LOOPD_*``."""
        base = self._base_environ
        env = {k: v for k, v in base.items() if k not in CONTRACT_VARS + DROPPED_VARS}
        env.update(self.config.exports)
        env.update(loop_v2_variables(self.config, self.sprint))
        env.update(request.env)
        env.update(
            LOOPD_ROLE=request.role,
            LOOPD_PROMPT=request.prompt_name,
            LOOPD_SPRINT=self.sprint.name,
            LOOPD_SPRINT_DIR=str(self.sprint.dir),
            LOOPD_RUN_DIR=str(self.run_dir.resolve()),
            LOOPD_TASK_ID=request.task_id or "",
            LOOPD_TEST_ID=request.test_id or "",
            LOOPD_ATTEMPT="" if request.attempt is None else str(request.attempt),
        )
        evidence = request.evidence_file
        if evidence is not None and (self.sprint.repo / evidence).is_file():
            env["LOOPD_EVIDENCE_FILE"] = str((self.sprint.repo / evidence).resolve())
        if request.vrc is not None:
            env["LOOPD_VRC"] = request.vrc
        return env

    def timeout(self, request: AgentRequest) -> float:
        """The request's own timeout, else the role's."""
        if request.timeout is not None:
            return request.timeout
        return self.config.timeouts.for_role(request.role)

    def _once(self, request: AgentRequest, retry: int) -> AgentResult:
        redact = self.redactor(request)
        request = dataclasses.replace(request, prompt=redact(request.prompt))
        files = rundir.allocate(self.run_dir, request.role, request.ident, request.prompt)
        invocation = self.backend.invocation(request, files.prompt)
        completed, parsed = self._run(invocation, request, files)
        attempt = _Attempt(files, invocation, completed, parsed)
        result = _result(attempt, attempts=retry + 1)
        self._save(request, attempt, result, retry)
        return result

    def _save(
        self, request: AgentRequest, attempt: _Attempt, result: AgentResult, retry: int
    ) -> None:
        """The output and JSON record in the run directory, and a line in the event log."""
        event = self._event(request, attempt, result, retry)
        record = {**event, **_details(attempt, result)}
        rundir.write_new(attempt.files.meta, json.dumps(record, indent=2, default=str) + "\n")
        self.events.append(AGENT_EVENT, **event)

    def _run(
        self, invocation: Invocation, request: AgentRequest, files: rundir.CallFiles
    ) -> tuple[proc.Completed, Parsed]:
        try:
            completed = execute(
                invocation.argv,
                cwd=self.sprint.repo,
                env=self.environment(request),
                files=files,
                timeout=self.timeout(request),
                grace=self.config.timeouts.kill_grace,
            )
        except (FileNotFoundError, PermissionError) as exc:
            missing = proc.Completed(
                argv=invocation.argv,
                returncode=_NOT_STARTED,
                stdout="",
                stderr=f"cannot start {invocation.argv[0]}: {exc.strerror or exc}",
                duration=0.0,
            )
            return missing, Parsed(ok=False, text="", fault=Fault.BINARY_MISSING)
        # Parse the raw output (its metadata, e.g. a session id, is no secret), then mask.
        parsed = _read(self.backend, completed)
        # Read after the call: the agent may have written a .env file meanwhile.
        redact = self.redactor(request)
        text = redact(parsed.text)
        return _redacted(completed, files, redact), dataclasses.replace(parsed, text=text)

    def _event(
        self, request: AgentRequest, attempt: _Attempt, result: AgentResult, retry: int
    ) -> dict[str, Any]:
        return {
            "role": request.role,
            "prompt": request.prompt_name,
            "task": request.task_id,
            "test": request.test_id,
            "attempt": request.attempt,
            "vrc": request.vrc,
            "backend": self.backend.name,
            "returncode": result.returncode,
            "duration": round(result.duration, 3),
            "cost_usd": result.cost_usd,
            "outcome": outcome(result),
            "retry": retry,
            "files": {
                "prompt": self.sprint.relative(attempt.files.prompt),
                "out": self.sprint.relative(attempt.files.output),
                "json": self.sprint.relative(attempt.files.meta),
            },
        }

    def _give_up(self, request: AgentRequest, result: AgentResult, fault: Fault) -> Exception:
        detail = _first_line(result.text) or _first_line(faults.tail(result.stderr, 5))
        if not fault.retried:
            tries = "not retried (waiting cannot fix it)"
        else:
            tries = f"after {result.attempts} attempts" if result.attempts > 1 else "at once"
        message = (
            f"{self.backend.name} agent call for {request.describe()}: "
            f"{faults.DESCRIPTIONS[fault]}, {tries}" + (f": {detail}" if detail else "")
        )
        message += f" [output: {self.sprint.relative(result.output_file)}]"
        return InfrastructureError(message, fault=fault, result=result, hint=faults.HINTS[fault])


_NOT_STARTED = 127  # the shell's "command not found"


def _redacted(
    completed: proc.Completed, files: rundir.CallFiles, redact: Redactor
) -> proc.Completed:
    """The call's output with secrets masked, in the result and in its ``.out`` file."""
    stdout, stderr = redact.output(completed.stdout), redact(completed.stderr)
    if stdout != completed.stdout:
        # The agent wrote .out itself while running; it is ours to rewrite now it has exited.
        fsio.atomic_write(files.output, stdout)
    return dataclasses.replace(completed, stdout=stdout, stderr=stderr)


def _read(backend: Backend, completed: proc.Completed) -> Parsed:
    """The backend's reading, after the faults every backend shares."""
    if completed.timed_out:
        silent = not (completed.stdout.strip() or completed.stderr.strip())
        # A buffering agent is silent at any timeout: that is slow work, not a fault.
        fault = Fault.TIMEOUT_NO_OUTPUT if silent and not backend.buffers_output else None
        return Parsed(ok=False, text=completed.stdout, fault=fault)
    return backend.parse(completed)


def _details(attempt: _Attempt, result: AgentResult) -> dict[str, Any]:
    """What the JSON record adds to the event line."""
    return {
        "argv": list(attempt.invocation.argv),
        "timed_out": result.timed_out,
        "session_id": result.session_id,
        "num_turns": result.num_turns,
        "permission_denials": list(result.permission_denials),
        "stderr": faults.tail(result.stderr, 40),
    }


def _result(attempt: _Attempt, attempts: int) -> AgentResult:
    parsed, completed = attempt.parsed, attempt.completed
    return AgentResult(
        ok=parsed.ok and parsed.fault is None,
        text=parsed.text,
        output=completed.stdout,
        stderr=completed.stderr,
        returncode=None if parsed.fault is Fault.BINARY_MISSING else completed.returncode,
        timed_out=completed.timed_out,
        duration=completed.duration,
        cost_usd=parsed.cost_usd,
        session_id=parsed.session_id,
        num_turns=parsed.num_turns,
        permission_denials=parsed.permission_denials,
        fault=parsed.fault,
        prompt_file=attempt.files.prompt,
        output_file=attempt.files.output,
        attempts=attempts,
    )


def outcome(result: AgentResult) -> str:
    """``ok``, ``work_failed``, ``timeout`` or the fault's name, for the event log."""
    if result.fault is not None:
        return result.fault.value
    if result.ok:
        return OUTCOME_OK
    return OUTCOME_TIMEOUT if result.timed_out else OUTCOME_WORK_FAILED


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""
