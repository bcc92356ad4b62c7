"""loop-v2's own names: in loop-config.sh, flat YAML and the environment, as loop-v2 read them."""

from __future__ import annotations

from pathlib import Path

from loopd.config import LoadedConfig, load_config
from loopd.sprint import Sprint, locate

BASE = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}


def sprint_of(repo: Path) -> Sprint:
    return locate(repo, "docs/sprints", "s1")


def load(
    repo: Path, script: str | None = None, yaml_text: str | None = None, **env: str
) -> LoadedConfig:
    sprint = sprint_of(repo)
    if script is not None:
        sprint.config_sh.write_text(script)
    if yaml_text is not None:
        sprint.config_yaml.write_text(yaml_text)
    return load_config(repo, sprint, env={**BASE, **env})


def test_a_preamble_renders_with_what_loop_v2_had_set(repo: Path, sprint_dir: Path) -> None:
    script = (
        'TEST_RUNNER_PREAMBLE="Plan: ${PLAN_FILE} at'
        ' http://localhost:${LOOP_BACKEND_PORT}${LOOP_BACKEND_HEALTH}"\n'
    )
    preamble = load(repo, script).config.tests.test_runner_preamble
    assert preamble == (
        "Plan: docs/sprints/s1/IMPLEMENTATION_PLAN.md at http://localhost:3001/api/health"
    )
    preamble = load(repo, script, LOOP_BACKEND_PORT="8080").config.tests.test_runner_preamble
    assert preamble.endswith("http://localhost:8080/api/health"), "the environment's value"


def test_the_script_reads_the_environment(repo: Path, sprint_dir: Path) -> None:
    script = 'LOOP_BACKEND_PORT=${API_PORT:-3001}\n[ -n "$DATABASE_URL" ] || exit 1\n'
    loaded = load(repo, script, API_PORT="4100", DATABASE_URL="postgres://localhost/app")
    assert loaded.config.services.backend_port == 4100
    assert loaded.warnings == ()


def test_loop_v2_names_in_the_script_are_settings(repo: Path, sprint_dir: Path) -> None:
    script = """LOOP_SERVICES_VERSION=v1
LOOP_BACKEND_PORT=8080
LOOP_BACKEND_HEALTH=/healthz
LOOP_FRONTEND_PORT=5173
LOOP_FRONTEND_HEALTH=/ready
LOOP_CDP_PORT=9333
LOOP_SERVICE_TIMEOUT=90
PROTECTED_BRANCHES="main release"
"""
    loaded = load(repo, script)
    services = loaded.config.services
    assert (services.version, services.backend_port, services.backend_health) == (
        "v1",
        8080,
        "/healthz",
    )
    assert (services.frontend_port, services.frontend_health, services.browser_port) == (
        5173,
        "/ready",
        9333,
    )
    assert loaded.config.limits.loop_service_timeout == 90
    assert loaded.config.git.protected_branches == ("main", "release")
    assert loaded.warnings == ()


def test_loop_v2_names_in_flat_yaml_are_settings(repo: Path, sprint_dir: Path) -> None:
    text = "LOOP_BACKEND_HEALTH: /up\nLOOP_CDP_PORT: 9229\nPROTECTED_BRANCHES: trunk prod\n"
    loaded = load(repo, yaml_text=text)
    assert loaded.config.services.backend_health == "/up"
    assert loaded.config.services.browser_port == 9229
    assert loaded.config.git.protected_branches == ("trunk", "prod")
    assert loaded.warnings == ()


def test_plain_environment_names_sit_below_loop_config_sh_and_loopd_names_above(
    repo: Path, sprint_dir: Path
) -> None:
    env = {"LOOP_BACKEND_PORT": "8080", "LOOP_FRONTEND_HEALTH": "/x", "MAX_NO_PROGRESS": "7"}
    assert load(repo, **env).config.services.backend_port == 8080
    below = load(repo, yaml_text="LOOP_BACKEND_PORT: 3500\n", **env)
    assert below.config.services.backend_port == 8080, "loop-v2: the environment, then the .sh"
    loaded = load(repo, "LOOP_BACKEND_PORT=9090\n", **env)
    assert loaded.config.services.backend_port == 9090
    assert loaded.config.services.frontend_health == "/x"
    assert loaded.config.limits.max_no_progress == 7
    assert loaded.origins["services.frontend_health"] == "environment (loop-v2 names)"
    kept = load(repo, "LOOP_BACKEND_PORT=${LOOP_BACKEND_PORT:-5000}\n", **env)
    assert kept.config.services.backend_port == 8080
    top = load(repo, "LOOP_BACKEND_PORT=9090\n", LOOPD_LOOP_BACKEND_PORT="7070", **env)
    assert top.config.services.backend_port == 7070


def test_names_loop_v2_fixed_in_its_code_are_not_read_from_the_environment(
    repo: Path, sprint_dir: Path
) -> None:
    # loop-v2's config.sh assigned these outright, so the environment never counted.
    config = load(
        repo, PROTECTED_BRANCHES="prod", MAX_CONSECUTIVE_BLOCKED="9", MAX_ITERATIONS="4"
    ).config
    assert config.git.protected_branches == ("main", "master", "develop")
    assert config.limits.max_consecutive_blocked == 5
    assert config.limits.max_iterations == 0


def test_a_bad_plain_environment_value_is_a_warning(repo: Path, sprint_dir: Path) -> None:
    loaded = load(repo, LOOP_BACKEND_PORT="eighty")
    assert loaded.config.services.backend_port == 3001
    assert loaded.warnings == (
        "environment (loop-v2 names): LOOP_BACKEND_PORT must be an integer from 1 to 65535,"
        " got 'eighty' (ignored)",
    )


def test_loopds_old_port_names_still_work_with_a_warning(repo: Path, sprint_dir: Path) -> None:
    where = "docs/sprints/s1/loop-config.sh"
    loaded = load(repo, "BACKEND_PORT=8080\nFRONTEND_PORT=5173\n")
    assert (loaded.config.services.backend_port, loaded.config.services.frontend_port) == (
        8080,
        5173,
    )
    assert loaded.warnings == (
        f"{where}:1: BACKEND_PORT is an old loopd name that loop-v2 never had; it still works,"
        " but use LOOP_BACKEND_PORT (which wins when both are set)",
        f"{where}:2: FRONTEND_PORT is an old loopd name that loop-v2 never had; it still works,"
        " but use LOOP_FRONTEND_PORT (which wins when both are set)",
    )
    both = load(repo, "LOOP_BACKEND_PORT=9000\nBACKEND_PORT=8080\n")
    assert both.config.services.backend_port == 9000
    yaml_both = load(repo, yaml_text="LOOP_FRONTEND_PORT: 4000\nFRONTEND_PORT: 5173\n")
    assert yaml_both.config.services.frontend_port == 4000
    assert "FRONTEND_PORT is an old loopd name" in yaml_both.warnings[0]
    env = load(repo, LOOPD_BACKEND_PORT="8181").config.services.backend_port
    assert env == 8181


def test_an_old_name_left_in_the_environment_is_not_taken_for_the_script_s(
    repo: Path, sprint_dir: Path
) -> None:
    # Plenty of apps read BACKEND_PORT themselves: only the script setting it counts.
    loaded = load(repo, "MAX_NO_PROGRESS=4\n", BACKEND_PORT="8000")
    assert loaded.config.services.backend_port == 3001
    assert loaded.warnings == ()


def test_suggestions_name_only_real_settings(repo: Path, sprint_dir: Path) -> None:
    where = "docs/sprints/s1/loop-config.sh"
    loaded = load(repo, "LOOP_BACKEND_PROT=8080\nBACKEND_PROT=1\n")
    assert loaded.warnings == (
        f"{where}:1: LOOP_BACKEND_PROT is not a loopd setting (ignored);"
        " did you mean 'LOOP_BACKEND_PORT'?",
        f"{where}:2: BACKEND_PROT is not a loopd setting (ignored)",
    )


def test_a_secret_from_the_environment_never_enters_a_setting(repo: Path, sprint_dir: Path) -> None:
    script = 'TEST_RUNNER_PREAMBLE="Log in with $API_TOKEN, then test."\n'
    loaded = load(repo, script, API_TOKEN="tok-9f8e7d6c5b4a")
    preamble = loaded.config.tests.test_runner_preamble
    assert preamble == "Log in with [REDACTED:API_TOKEN], then test."
    assert loaded.warnings == (
        "docs/sprints/s1/loop-config.sh:1: TEST_RUNNER_PREAMBLE holds the value of the"
        " environment variable API_TOKEN; it is masked as [REDACTED:API_TOKEN] because"
        " settings reach prompts and logs. The agent has API_TOKEN in its environment:"
        " write \\$API_TOKEN to refer to it",
    )
    literal = load(repo, "TEST_RUNNER_PREAMBLE='Log in with $API_TOKEN'\n", API_TOKEN="x" * 16)
    assert literal.config.tests.test_runner_preamble == "Log in with $API_TOKEN"
    assert literal.warnings == ()


def test_what_the_script_exports_besides_settings_is_kept_for_the_agents(
    repo: Path, sprint_dir: Path
) -> None:
    # loop-v2's agents inherited it.
    script = (
        "export NODE_ENV=test\nexport DATABASE_URL=postgres://db/test\nexport LOOP_CDP_PORT=9333\n"
        "export HOME\nHELPER=1\nIFS=\n"
    )
    loaded = load(repo, script, DATABASE_URL="postgres://db/dev")
    assert dict(loaded.config.exports) == {
        "DATABASE_URL": "postgres://db/test",
        "NODE_ENV": "test",
    }
    assert loaded.config.services.browser_port == 9333
    assert loaded.warnings == (
        "docs/sprints/s1/loop-config.sh:5: HELPER is not a loopd setting (ignored)",
    )
