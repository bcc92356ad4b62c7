"""Configuration: defaults, precedence of the sources, env, overrides, frozen-ness, reference."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from loopd.config import default_config, load_config, reference_markdown
from loopd.config.schema import FIELDS
from loopd.errors import LoopdError
from loopd.sprint import Sprint, locate

FIXTURES = Path(__file__).parent / "fixtures" / "config"
ENV = {"PATH": "/usr/bin:/bin"}


def sprint_of(repo: Path) -> Sprint:
    return locate(repo, "docs/sprints", "s1")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_defaults_are_loop_v2_reference_numbers() -> None:
    config = default_config()
    assert dataclasses.asdict(config.limits) == {
        "max_loop_iterations": 100,
        "max_iterations": 0,
        "max_gate_retries": 3,
        "max_test_fix_attempts": 3,
        "max_no_progress": 3,
        "max_impl_no_progress": 3,
        "max_consecutive_blocked": 5,
        "max_service_check_attempts": 3,
        "max_total_service_failures": 10,
        "regression_check_interval": 5,
        "spot_check_probability": 30,
        "spot_check_count": 2,
        "significant_task_threshold": 5,
        "loop_service_timeout": 60,
        "periodic_vrc_interval": 10,
        "regression_parallelism": 2,
    }
    assert config.retries.backoff == (5.0, 10.0, 20.0)
    assert (config.timeouts.test, config.timeouts.fix) == (120.0, 300.0)
    assert config.agent.backend == "claude"
    assert config.agent.skip_permissions is False
    assert dict(config.agent.binaries) == {b: b for b in ("claude", "codex", "gemini", "aider")}


def test_loading_nothing_gives_the_defaults(repo: Path) -> None:
    loaded = load_config(repo, env=ENV)
    assert loaded.config == default_config()
    assert loaded.warnings == ()
    assert loaded.sources == ()


def test_timeout_for_role_falls_back_to_default() -> None:
    timeouts = default_config().timeouts
    assert [timeouts.for_role(r) for r in ("test", "fix", "regression")] == [120.0, 300.0, 120.0]
    assert timeouts.for_role("implement") == timeouts.default == 1800.0
    assert timeouts.for_role("timeouts") == 1800.0


def test_retry_delay_repeats_the_last_backoff() -> None:
    retries = default_config().retries
    assert [retries.delay(n) for n in (1, 2, 3, 4, 9)] == [5.0, 10.0, 20.0, 20.0, 20.0]


def test_config_is_frozen_through_and_through() -> None:
    config = default_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.limits.max_iterations = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.agent = config.agent  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.agent.binaries["claude"] = "x"  # type: ignore[index]
    assert hash(config) == hash(default_config())
    assert {config, default_config()} == {config}


def test_as_dict_is_json_and_loads_back_as_the_same_config(repo: Path) -> None:
    config = load_config(repo, env={**ENV, "LOOPD_AGENT_EXTRA_ARGS_CLAUDE": "--model opus"}).config
    data = json.loads(json.dumps(config.as_dict()))
    assert data["agent"]["extra_args"] == {"claude": ["--model", "opus"]}
    flat = {f"{section}.{key}": v for section, values in data.items() for key, v in values.items()}
    assert load_config(repo, env=ENV, overrides=flat).config == config


LAYERS = ("repo yaml", "sprint yaml", "sprint sh", "environment", "overrides")


def set_layers(repo: Path, upto: int) -> tuple[dict[str, str], dict[str, object]]:
    """Set limits.max_test_fix_attempts to 11, 12, ... in the first ``upto`` layers."""
    sprint = sprint_of(repo)
    writers = [
        lambda v: write(repo / ".loopd/config.yaml", f"limits:\n  max_test_fix_attempts: {v}\n"),
        lambda v: write(sprint.config_yaml, f"MAX_TEST_FIX_ATTEMPTS: {v}\n"),
        lambda v: write(sprint.config_sh, f"MAX_TEST_FIX_ATTEMPTS={v}\n"),
    ]
    env, overrides = dict(ENV), {}
    for i in range(upto):
        value = 11 + i
        if i < len(writers):
            writers[i](value)
        elif i == 3:
            env["LOOPD_LIMITS_MAX_TEST_FIX_ATTEMPTS"] = str(value)
        else:
            overrides["limits.max_test_fix_attempts"] = value
    return env, overrides


@pytest.mark.parametrize("upto", range(len(LAYERS) + 1))
def test_the_highest_layer_that_sets_a_value_wins(repo: Path, sprint_dir: Path, upto: int) -> None:
    write(repo / ".loopd/config.yaml", "")
    env, overrides = set_layers(repo, upto)
    loaded = load_config(repo, sprint_of(repo), env=env, overrides=overrides)
    assert loaded.config.limits.max_test_fix_attempts == (10 + upto if upto else 3)
    assert len(loaded.sources) == upto


def test_layers_that_do_not_set_a_value_keep_the_lower_one(repo: Path, sprint_dir: Path) -> None:
    env, overrides = set_layers(repo, len(LAYERS))
    write(repo / ".loopd/config.yaml", "limits: {max_test_fix_attempts: 11, max_no_progress: 7}\n")
    loaded = load_config(repo, sprint_of(repo), env=env, overrides=overrides)
    assert loaded.config.limits.max_no_progress == 7
    assert loaded.config.limits.max_test_fix_attempts == 15
    assert loaded.origins["limits.max_no_progress"].endswith(".loopd/config.yaml:1")
    assert loaded.origins["limits.max_test_fix_attempts"] == "overrides"


def test_setting_one_binary_keeps_the_others(repo: Path) -> None:
    write(repo / ".loopd/config.yaml", "agent:\n  binaries:\n    claude: /opt/claude\n")
    env = {**ENV, "LOOPD_AGENT_BINARIES_CODEX": "/opt/codex"}
    loaded = load_config(repo, env=env, overrides={"agent.binaries.gemini": "/opt/gemini"})
    assert dict(loaded.config.agent.binaries) == {
        "claude": "/opt/claude",
        "codex": "/opt/codex",
        "gemini": "/opt/gemini",
        "aider": "aider",
    }


def test_env_section_and_bash_names(repo: Path) -> None:
    env = {
        **ENV,
        "LOOPD_MAX_NO_PROGRESS": "8",
        "LOOPD_LIMITS_MAX_GATE_RETRIES": "4",
        "LOOPD_MAX_GATE_RETRIES": "9",
        "LOOPD_AGENT_BACKEND": "gemini",
        "LOOPD_AGENT_SKIP_PERMISSIONS": "yes",
        "LOOPD_RETRIES_BACKOFF": "1, 2 4",
        "LOOPD_TIMEOUTS_TEST": "2.5",
        "LOOPD_AGENT_EXTRA_ARGS_CLAUDE": "--model 'opus 4'",
        "LOOPD_AGENT_BINARIES": "{aider: /opt/aider}",
    }
    config = load_config(repo, env=env).config
    assert config.limits.max_no_progress == 8
    assert config.limits.max_gate_retries == 4, "the section form wins over the bash form"
    assert config.agent.backend == "gemini"
    assert config.agent.skip_permissions is True
    assert config.retries.backoff == (1.0, 2.0, 4.0)
    assert config.timeouts.test == 2.5
    assert config.agent.extra_args["claude"] == ("--model", "opus 4")
    assert config.agent.binaries["aider"] == "/opt/aider"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOOPD_LIMITS_MAX_ITERATIONS", "lots", "LOOPD_LIMITS_MAX_ITERATIONS must be an integer"),
        ("LOOPD_SPOT_CHECK_PROBABILITY", "101", "must be an integer from 0 to 100, got '101'"),
        ("LOOPD_AGENT_BACKEND", "cursor", "LOOPD_AGENT_BACKEND must be one of claude, codex"),
        ("LOOPD_TIMEOUTS_FIX", "0", "LOOPD_TIMEOUTS_FIX must be a number > 0"),
        ("LOOPD_GIT_PUSH", "maybe", "LOOPD_GIT_PUSH must be true or false, got 'maybe'"),
        ("LOOPD_RETRIES_BACKOFF", "5, soon", "LOOPD_RETRIES_BACKOFF[1] must be a number"),
        ("LOOPD_AGENT_BINARIES_CURSOR", "x", "unknown key 'cursor'"),
        ("LOOPD_AGENT_EXTRA_ARGS_CLAUDE", "'unclosed", "must split into shell words"),
    ],
)
def test_env_errors_name_the_variable(repo: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(LoopdError, match=re.escape(message)):
        load_config(repo, env={**ENV, name: value})


def test_unknown_env_settings_warn_but_other_loopd_vars_do_not(repo: Path) -> None:
    env = {**ENV, "LOOPD_LIMITS_MAX_TEST_FIX_ATTEMPT": "4", "LOOPD_ROLE": "fix", "LOOPD_X": "1"}
    loaded = load_config(repo, env=env)
    assert loaded.warnings == (
        "environment: LOOPD_LIMITS_MAX_TEST_FIX_ATTEMPT is not a loopd setting (ignored);"
        " did you mean 'LOOPD_LIMITS_MAX_TEST_FIX_ATTEMPTS'?",
    )
    assert loaded.config == default_config()


def test_overrides_by_path_bash_name_and_key(repo: Path) -> None:
    overrides = {
        "limits.max_iterations": "5",
        "MAX_NO_PROGRESS": 6,
        "agent.extra_args.codex": ["--json"],
        "git.push": None,
    }
    loaded = load_config(repo, env=ENV, overrides=overrides)
    assert loaded.config.limits.max_iterations == 5
    assert loaded.config.limits.max_no_progress == 6
    assert loaded.config.agent.extra_args["codex"] == ("--json",)
    assert loaded.config.git.push is False, "None means the option was not given"
    assert loaded.sources == ("overrides",)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"limits.max_iteration": 5}, "unknown setting 'limits.max_iteration'; did you mean"),
        ({"limits.max_iterations": -1}, "limits.max_iterations must be an integer >= 0, got -1"),
        ({"watch.debounce": True}, "watch.debounce must be a number >= 0, got True"),
        ({"agent.binaries.claude": ""}, "agent.binaries.claude must be a non-empty string"),
    ],
)
def test_override_errors(repo: Path, overrides: dict[str, object], message: str) -> None:
    with pytest.raises(LoopdError, match=re.escape(message)):
        load_config(repo, env=ENV, overrides=overrides)


def test_command_backend_needs_a_command_where_it_was_chosen(repo: Path) -> None:
    write(repo / ".loopd/config.yaml", "# agent\nagent:\n  backend: command\n")
    with pytest.raises(LoopdError) as caught:
        load_config(repo, env=ENV)
    assert str(caught.value).startswith(
        f"{repo / '.loopd/config.yaml'}:3: agent.backend is 'command' but agent.command is not set"
    )
    template = {"agent.command": "my-agent --prompt-file {prompt_file}"}
    assert load_config(repo, env=ENV, overrides=template).config.agent.backend == "command"


def test_replay_script_is_relative_to_the_repo(repo: Path) -> None:
    write(
        repo / ".loopd/config.yaml", "agent: {backend: replay, replay_script: demo/script.yaml}\n"
    )
    assert load_config(repo, env=ENV).config.agent.replay_script == repo / "demo/script.yaml"
    with pytest.raises(LoopdError, match=r"agent\.replay_script is not set"):
        load_config(repo, env={**ENV, "LOOPD_AGENT_REPLAY_SCRIPT": ""})


def test_a_sprint_cannot_move_the_sprints_root(repo: Path, sprint_dir: Path) -> None:
    write(sprint_dir / "loop-config.yaml", "paths:\n  sprints_root: elsewhere\n")
    loaded = load_config(repo, sprint_of(repo), env=ENV)
    assert loaded.config.paths.sprints_root == "docs/sprints"
    assert loaded.warnings == (
        "docs/sprints/s1/loop-config.yaml:2: paths.sprints_root only works in"
        " .loopd/config.yaml; ignored",
    )


def test_loading_every_source_writes_nothing(repo: Path, sprint_dir: Path) -> None:
    write(repo / ".loopd/config.yaml", (FIXTURES / "nested.yaml").read_text())
    write(sprint_dir / "loop-config.yaml", (FIXTURES / "flat.yaml").read_text())
    write(sprint_dir / "loop-config.sh", (FIXTURES / "loop-config.sh").read_text())
    before = snapshot(repo)
    loaded = load_config(repo, sprint_of(repo), env=ENV)
    assert snapshot(repo) == before
    assert loaded.config.limits.max_test_fix_attempts == 5
    assert loaded.config.agent.backend == "codex"


def reference_rows() -> dict[str, dict[str, list[str]]]:
    """Section -> key -> the cells of its row, parsed from the generated Markdown."""
    tables: dict[str, dict[str, list[str]]] = {}
    section = ""
    for line in reference_markdown().splitlines():
        if heading := re.fullmatch(r"### `(\w+)`", line):
            section = heading.group(1)
            tables[section] = {}
        elif line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            tables[section][cells[0].strip("`")] = cells
    return tables


def test_reference_markdown_covers_every_field() -> None:
    tables = reference_rows()
    for info in FIELDS:
        _key, bash, env, default, meaning = tables[info.section][info.name]
        assert bash == (f"`{info.bash}`" if info.bash else "")
        assert f"`{info.env}`" in env
        assert (f"`{info.bash_env}`" in env) == bool(info.bash)
        assert meaning.startswith(info.doc)
        assert default not in ("", "``")
    assert sum(len(rows) for rows in tables.values()) == len(FIELDS)
    assert tables["limits"]["max_test_fix_attempts"][3] == "`3`"
    assert tables["tests"]["test_runner_preamble"][3] == '`""`'
