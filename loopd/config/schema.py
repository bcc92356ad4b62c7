"""Every loopd setting, declared once.

Each field carries its type (the annotation), default, one-line doc and,
where loop-v2 had one, its bash variable name.  Environment variable names,
YAML keys, validation and the reference table are all derived from here.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar, cast

from loopd.config.frozen import FrozenMap
from loopd.config.kinds import KINDS, Kind, Rule

T = TypeVar("T")

BACKENDS = ("claude", "codex", "gemini", "aider", "command", "replay")
BINARY_BACKENDS = ("claude", "codex", "gemini", "aider")


def setting(
    default: T,
    doc: str,
    *,
    bash: str | None = None,
    low: float | None = 0,
    high: float | None = None,
    above_zero: bool = False,
    choices: tuple[str, ...] = (),
    nonempty: bool = False,
    keys: tuple[str, ...] = (),
    from_env: bool = False,
) -> T:
    """Declare one setting: a dataclass field whose metadata drives everything else.

    ``from_env``: loop-v2 took the bash name from the environment too
    (``X=${X:-default}``), so a plain ``X`` in loopd's environment counts.
    """
    rule = Rule(low, high, above_zero, choices, nonempty, keys)
    meta = {"doc": doc, "bash": bash, "rule": rule, "from_env": from_env}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Limits:
    """Loop thresholds: loop-v2's reference numbers."""

    max_loop_iterations: int = setting(
        100,
        "Outer loop passes before loopd stops (a safety net; loop-v2 ignored it in"
        " loop-config.sh).",
        bash="MAX_LOOP_ITERATIONS",
        low=1,
    )
    max_iterations: int = setting(
        0, "Test iterations before loopd stops; 0 is unlimited.", bash="MAX_ITERATIONS"
    )
    max_gate_retries: int = setting(
        3, "Runs of a quality gate that keeps changing the plan.", bash="MAX_GATE_RETRIES"
    )
    max_test_fix_attempts: int = setting(
        3, "Fix attempts on one test before it is blocked.", bash="MAX_TEST_FIX_ATTEMPTS"
    )
    max_no_progress: int = setting(
        3,
        "Iterations without progress before value discovery (loop-v2 used 5 in effect).",
        bash="MAX_NO_PROGRESS",
        from_env=True,
    )
    max_impl_no_progress: int = setting(
        3,
        "Implement calls on one task without progress before it is blocked (loop-v2"
        " ignored it in loop-config.sh).",
        bash="MAX_IMPL_NO_PROGRESS",
    )
    max_consecutive_blocked: int = setting(
        5, "Tests blocked in a row before testing stops.", bash="MAX_CONSECUTIVE_BLOCKED"
    )
    max_service_check_attempts: int = setting(
        3,
        "Service readiness checks before loopd goes on with broken services.",
        bash="MAX_SERVICE_CHECK_ATTEMPTS",
    )
    max_total_service_failures: int = setting(
        10,
        "Service start failures in one run before loopd gives up on services.",
        bash="MAX_TOTAL_SERVICE_FAILURES",
    )
    regression_check_interval: int = setting(
        5,
        "Fixes between regression checks (0: after every fix).",
        bash="REGRESSION_CHECK_INTERVAL",
    )
    spot_check_probability: int = setting(
        30,
        "Chance in percent of a spot check after a test iteration.",
        bash="SPOT_CHECK_PROBABILITY",
        high=100,
    )
    spot_check_count: int = setting(
        2, "Passing tests a spot check re-runs.", bash="SPOT_CHECK_COUNT"
    )
    significant_task_threshold: int = setting(
        5,
        "New SVC/INT/ARCH tasks that invalidate the quality gates.",
        bash="SIGNIFICANT_TASK_THRESHOLD",
    )
    loop_service_timeout: int = setting(
        60,
        "Seconds to wait for a service to become healthy.",
        bash="LOOP_SERVICE_TIMEOUT",
        low=1,
        from_env=True,
    )
    periodic_vrc_interval: int = setting(
        10,
        "Test iterations between periodic vision checks (0: never).",
        bash="PERIODIC_VRC_INTERVAL",
    )
    regression_parallelism: int = setting(
        2, "Deterministic regression checks run at once.", bash="REGRESSION_PARALLELISM", low=1
    )


@dataclass(frozen=True)
class Timeouts:
    """Seconds an agent call or check may run before its process group is stopped."""

    test: float = setting(120.0, "Test runner agent.", above_zero=True)
    fix: float = setting(300.0, "Fix agent.", above_zero=True)
    regression: float = setting(120.0, "One regression re-check.", above_zero=True)
    default: float = setting(
        1800.0, "Every other agent call (plan, gates, implement, ...).", above_zero=True
    )
    kill_grace: float = setting(5.0, "Grace between SIGTERM and SIGKILL.")
    int_grace: float = setting(2.0, "Grace between SIGINT and SIGTERM.")

    _ROLES: ClassVar[frozenset[str]] = frozenset({"test", "fix", "regression"})

    def for_role(self, role: str) -> float:
        """The timeout of an agent call with ``LOOPD_ROLE`` ``role``."""
        return cast(float, getattr(self, role)) if role in self._ROLES else self.default


@dataclass(frozen=True)
class Retries:
    """Retries of an agent call after a transient fault (overloaded, rate limit, 5xx, network),
    and of a test runner's call that ended without a verdict."""

    attempts: int = setting(3, "Retries before the loop stops with the fault.")
    backoff: tuple[float, ...] = setting(
        (5.0, 10.0, 20.0), "Seconds to wait before each retry; the last one repeats."
    )
    verdictless: int = setting(
        1,
        "Retries of a test-runner agent call that ended without a verdict (killed at its"
        " timeout, crashed, no RESULT line) before the test is marked [U].",
    )

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return self.backoff[min(max(retry, 1), len(self.backoff)) - 1]


@dataclass(frozen=True)
class Budgets:
    """Spending limits for one run; 0 is unlimited."""

    max_agent_calls: int = setting(0, "Agent calls.")
    max_cost_usd: float = setting(0.0, "Agent cost in US dollars, as the agents report it.")
    max_wall_time: float = setting(0.0, "Seconds of wall-clock time.")


@dataclass(frozen=True)
class AgentConfig:
    """Which coding agent CLI loopd drives, and how."""

    backend: str = setting("claude", "Agent CLI to run.", choices=BACKENDS)
    skip_permissions: bool = setting(
        False, "Pass claude --dangerously-skip-permissions (refused as root)."
    )
    command: str | None = setting(
        None, "Command template of the command backend; may use {prompt_file}."
    )
    # setting() returns a dataclasses.field, like field() itself.
    replay_script: Path | None = setting(  # noqa: RUF009
        None, "Script of the replay backend, relative to the repo root."
    )
    binaries: Mapping[str, str] = setting(
        FrozenMap({name: name for name in BINARY_BACKENDS}),
        "Executable per backend; setting one keeps the others.",
        keys=BINARY_BACKENDS,
        nonempty=True,
    )
    extra_args: Mapping[str, tuple[str, ...]] = setting(
        FrozenMap[tuple[str, ...]](), "Extra arguments per backend.", keys=BACKENDS
    )


@dataclass(frozen=True)
class TestSettings:
    """How tests run."""

    __test__: ClassVar[bool] = False  # not a pytest test class despite the name

    e2e_test_dir: str | None = setting(
        None,
        "Directory E2E tests run in, relative to the repo root; unset, E2E tests go to the"
        " test-runner agent (loop-v2).",
        bash="E2E_TEST_DIR",
        from_env=True,
    )
    # --reporter=line as loop-v2 (a project's html reporter would serve its report and never exit
    # on a failure); junit as well, so a failure's messages reach the evidence.
    e2e_command: str = setting(
        "npx playwright test -g {name} --reporter=line,junit",
        'Command for an *(E2E: "name")* test, run in `tests.e2e_test_dir`; {name} is the'
        " quoted test name. The junit report goes to $PLAYWRIGHT_JUNIT_OUTPUT_NAME.",
        nonempty=True,
    )
    test_runner_preamble: str = setting(
        "",
        "Text put before every test runner and fix prompt.",
        bash="TEST_RUNNER_PREAMBLE",
        from_env=True,
    )


@dataclass(frozen=True)
class GitSettings:
    """Branches and commits."""

    branch_prefix: str = setting(
        "loop-v2", "Sprint branches are <prefix>/<sprint>-<time>.", nonempty=True
    )
    push: bool = setting(False, "Push the sprint branch after each commit.")
    commit: bool = setting(True, "Commit after each step that changed files.")
    protected_branches: tuple[str, ...] = setting(
        ("main", "master", "develop"),
        "Branches loopd never commits on (space-separated in bash).",
        bash="PROTECTED_BRANCHES",
    )
    in_place: bool = setting(
        False,
        "Work in the user's checkout, as loop-v2 did (stash, switch), not in a worktree.",
    )


@dataclass(frozen=True)
class Policy:
    """loop-v2 behaviours, to compare the two side by side; off is loopd's own way."""

    withhold_evidence: bool = setting(False, "Give fix agents no failure evidence (loop-v2).")
    fixer_per_test: bool = setting(False, "One fix agent per failing test, no grouping (loop-v2).")
    agent_regression: bool = setting(False, "Regression checks by agent, not by command (loop-v2).")


@dataclass(frozen=True)
class WatchSettings:
    """Re-running when the sprint's files change."""

    enabled: bool = setting(True, "Watch the sprint's files and re-run on change.")
    debounce: float = setting(0.3, "Seconds of quiet before a change counts.")


@dataclass(frozen=True)
class Paths:
    """Where things are."""

    sprints_root: str = setting(
        "docs/sprints",
        "Folder of sprints, relative to the repo root (repo config only).",
        nonempty=True,
    )


@dataclass(frozen=True)
class ServiceSettings:
    """How loop-v2's services are found and checked (its LOOP_* names)."""

    version: str = setting(
        "auto",
        "Which service detection to use: v1 (legacy npm), v2 (services.yaml/compose), auto.",
        bash="LOOP_SERVICES_VERSION",
        choices=("auto", "v1", "v2"),
        from_env=True,
    )
    backend_port: int = setting(
        3001, "Backend port.", bash="LOOP_BACKEND_PORT", low=1, high=65535, from_env=True
    )
    backend_health: str = setting(
        "/api/health",
        "Backend health path on localhost.",
        bash="LOOP_BACKEND_HEALTH",
        from_env=True,
    )
    frontend_port: int = setting(
        3000, "Frontend port.", bash="LOOP_FRONTEND_PORT", low=1, high=65535, from_env=True
    )
    frontend_health: str = setting(
        "/", "Frontend health path on localhost.", bash="LOOP_FRONTEND_HEALTH", from_env=True
    )
    browser_port: int = setting(
        9222,
        "Browser DevTools (CDP) port.",
        bash="LOOP_CDP_PORT",
        low=1,
        high=65535,
        from_env=True,
    )


@dataclass(frozen=True)
class Config:
    """All of loopd's settings."""

    limits: Limits = field(default_factory=Limits)
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: Retries = field(default_factory=Retries)
    budgets: Budgets = field(default_factory=Budgets)
    agent: AgentConfig = field(default_factory=AgentConfig)
    tests: TestSettings = field(default_factory=TestSettings)
    git: GitSettings = field(default_factory=GitSettings)
    policy: Policy = field(default_factory=Policy)
    watch: WatchSettings = field(default_factory=WatchSettings)
    paths: Paths = field(default_factory=Paths)
    services: ServiceSettings = field(default_factory=ServiceSettings)
    # Not a setting: what loop-config.sh exported besides settings (export
    # NODE_ENV=test).  loop-v2's agents inherited it, so loopd's get it too.
    exports: Mapping[str, str] = field(default_factory=FrozenMap[str])

    def as_dict(self) -> dict[str, dict[str, object]]:
        """Plain JSON-ready data: sections of settings (mappings as dicts, lists, paths as text)."""
        data: dict[str, dict[str, object]] = {name: {} for name in SECTIONS}
        for info in FIELDS:
            data[info.section][info.name] = _plain(getattr(getattr(self, info.section), info.name))
        return data


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return str(value) if isinstance(value, Path) else value


@dataclass(frozen=True)
class FieldInfo:
    """One setting as the loaders and the reference see it."""

    section: str
    name: str
    kind: Kind
    default: object
    doc: str
    bash: str | None
    rule: Rule
    from_env: bool = False

    @property
    def path(self) -> str:
        """Dotted name, as in YAML and CLI overrides: ``limits.max_iterations``."""
        return f"{self.section}.{self.name}"

    @property
    def env(self) -> str:
        """``LOOPD_<SECTION>_<FIELD>``."""
        return f"LOOPD_{self.section.upper()}_{self.name.upper()}"

    @property
    def bash_env(self) -> str | None:
        """``LOOPD_<BASHNAME>`` for loop-v2 compatibility, if the setting has a bash name."""
        return f"LOOPD_{self.bash}" if self.bash else None

    @property
    def plain_env(self) -> str | None:
        """The bash name itself, when loop-v2 read it from the environment."""
        return self.bash if self.from_env else None

    def parse(self, raw: object, label: str) -> object:
        """Validate ``raw`` into this setting's type; raise ``Invalid`` naming ``label``."""
        return self.kind.parse(raw, self.rule, label)


def _section_fields(section: str, cls: type) -> list[FieldInfo]:
    hints = typing.get_type_hints(cls)
    return [
        FieldInfo(
            section=section,
            name=f.name,
            kind=KINDS[hints[f.name]],
            default=f.default,
            doc=f.metadata["doc"],
            bash=f.metadata["bash"],
            rule=f.metadata["rule"],
            from_env=f.metadata["from_env"],
        )
        for f in dataclasses.fields(cls)
    ]


SECTIONS: Mapping[str, type] = {
    f.name: cast(type, f.default_factory)
    for f in dataclasses.fields(Config)
    if dataclasses.is_dataclass(f.default_factory)
}
FIELDS: tuple[FieldInfo, ...] = tuple(
    info for name, cls in SECTIONS.items() for info in _section_fields(name, cls)
)
BY_PATH: Mapping[str, FieldInfo] = {info.path: info for info in FIELDS}
BY_BASH: Mapping[str, FieldInfo] = {info.bash: info for info in FIELDS if info.bash}
# Names an earlier loopd README documented, which loop-v2 never had: still
# honoured, with a warning naming the real one (the real one wins over them).
OLD_BASH: Mapping[str, str] = {
    "BACKEND_PORT": "LOOP_BACKEND_PORT",
    "FRONTEND_PORT": "LOOP_FRONTEND_PORT",
}
