"""A sprint's loop-config.sh: sourced by real bash, read back exactly, errors located."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loopd.config import load_config
from loopd.config.bashsrc import read_bash
from loopd.errors import LoopdError
from loopd.sprint import Sprint, locate

FIXTURES = Path(__file__).parent / "fixtures" / "config"
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "SECRET_TOKEN": "s3cret"}


def sprint_of(repo: Path) -> Sprint:
    return locate(repo, "docs/sprints", "s1")


def load_sh(repo: Path, script: str, yaml_text: str | None = None):  # type: ignore[no-untyped-def]
    sprint = sprint_of(repo)
    sprint.config_sh.write_text(script)
    if yaml_text is not None:
        sprint.config_yaml.write_text(yaml_text)
    return load_config(repo, sprint, env=ENV)


def error_of(repo: Path, script: str) -> LoopdError:
    with pytest.raises(LoopdError) as caught:
        load_sh(repo, script)
    return caught.value


def test_a_loop_v2_sprint_config(repo: Path, sprint_dir: Path) -> None:
    loaded = load_sh(repo, (FIXTURES / "loop-config.sh").read_text())
    config = loaded.config
    assert config.limits.max_test_fix_attempts == 5
    assert config.limits.max_no_progress == 10
    assert config.services.backend_port == 8080
    assert config.tests.e2e_test_dir == "docs/sprints/s1/e2e"
    assert config.tests.test_runner_preamble == (
        "Log in first:\n"
        '  curl -s -X POST "http://localhost:8080/api/login" \\\n'
        '    -d \'{"user": "demo", "password": "demo"}\'\n'
        'Use the token it returns as "Authorization: Bearer $TOKEN".'
    )
    assert loaded.warnings == ()
    assert loaded.origins["limits.max_no_progress"] == "docs/sprints/s1/loop-config.sh:6"


def test_multi_line_preamble_with_quotes_backslashes_substitution_and_heredoc(
    repo: Path, sprint_dir: Path
) -> None:
    script = r"""TEST_RUNNER_PREAMBLE="first 'single' \"double\" back\\slash
second: $(echo x) and \$literal"
TEST_RUNNER_PREAMBLE+="
$(cat <<DOC
heredoc for $SPRINT
	tabbed
DOC
)"
"""
    config = load_sh(repo, script).config
    assert config.tests.test_runner_preamble == (
        "first 'single' \"double\" back\\slash\nsecond: x and $literal\nheredoc for s1\n\ttabbed"
    )


def test_strict_mode_scripts_load(repo: Path, sprint_dir: Path) -> None:
    script = (
        "set -euo pipefail\nMAX_NO_PROGRESS=4\ntrue | wc -l\n[[ -n $TEST_RUNNER_PREAMBLE ]] || :\n"
    )
    assert load_sh(repo, script).config.limits.max_no_progress == 4


def test_the_line_of_the_assignment_that_took_effect(repo: Path, sprint_dir: Path) -> None:
    script = (
        "set_it() {\n  MAX_GATE_RETRIES=7\n}\n"
        "MAX_NO_PROGRESS=4\nif false; then\n  MAX_NO_PROGRESS=9\nfi\n"
        "set_it\nread -r -d '' TEST_RUNNER_PREAMBLE <<'P' || true\nhi\nP\n"
    )
    origins = load_sh(repo, script).origins
    lines = {k: int(v.rsplit(":", 1)[1]) for k, v in origins.items()}
    assert lines == {
        "limits.max_no_progress": 4,
        "limits.max_gate_retries": 2,
        "tests.test_runner_preamble": 9,
    }


def test_what_the_script_prints_does_not_corrupt_the_values(repo: Path, sprint_dir: Path) -> None:
    script = (
        "echo 'MAX_NO_PROGRESS=99'\nprintf 'a\\0b\\0c\\0'\n"
        "MAX_NO_PROGRESS=4\necho to stderr >&2\ncat /etc/hostname >/dev/null\n"
    )
    loaded = load_sh(repo, script)
    assert loaded.config.limits.max_no_progress == 4
    assert loaded.warnings == ()


def test_the_script_sees_what_loop_v2_had_set(repo: Path, sprint_dir: Path) -> None:
    script = """
[[ $1 == s1 && $SPRINT == s1 && $SPRINT_DIR == docs/sprints/s1 ]] || exit 3
[[ $PROJECT_ROOT == "$PWD" && -f README.md && $LOOP_ROOT == "$PWD/loop-v2" ]] || exit 4
[[ $PLAN_FILE == docs/sprints/s1/IMPLEMENTATION_PLAN.md && -f $VISION_FILE ]] || exit 5
[[ $BETA_TEST_PLAN == $SPRINT_DIR/BETA_TEST_PLAN_v1.md && $STATE_FILE == *STATE.md ]] || exit 6
[[ $LOOP_BACKEND_PORT == 3001 && $LOOP_BACKEND_HEALTH == /api/health ]] || exit 7
[[ $PROTECTED_BRANCHES == "main master develop" && ! -v E2E_TEST_DIR ]] || exit 8
MAX_NO_PROGRESS=$((MAX_NO_PROGRESS * 2))
E2E_TEST_DIR="${E2E_TEST_DIR:-tests}/e2e"
"""
    loaded = load_sh(repo, script, yaml_text="MAX_NO_PROGRESS: 6\n")
    assert loaded.config.limits.max_no_progress == 12, "lower layers are set before sourcing"
    assert loaded.config.tests.e2e_test_dir == "tests/e2e", "unset before: loop-v2 had none"


def test_assigning_the_value_a_lower_layer_had_changes_nothing(
    repo: Path, sprint_dir: Path
) -> None:
    loaded = load_sh(repo, "MAX_NO_PROGRESS=6\n", yaml_text="MAX_NO_PROGRESS: 6\n")
    assert loaded.config.limits.max_no_progress == 6
    assert loaded.origins["limits.max_no_progress"].endswith("loop-config.yaml:1")


def test_a_syntax_error_quotes_bash_at_file_and_line(repo: Path, sprint_dir: Path) -> None:
    error = error_of(repo, "MAX_NO_PROGRESS=4\nif true; then\n  x=1\nfi\nfi\n")
    assert (error.path, error.line) == (sprint_dir / "loop-config.sh", 5)
    assert str(error) == (
        f"{sprint_dir / 'loop-config.sh'}:5: bash: syntax error near unexpected token `fi'"
    )


def test_a_script_that_exits_1_is_an_error(repo: Path, sprint_dir: Path) -> None:
    script = (
        "no_such_command_xyz\nMAX_NO_PROGRESS=4\n"
        '[ -n "$FOO" ] || {\n  echo "need FOO set" >&2\n  exit 1\n}\n'
    )
    error = error_of(repo, script)
    assert (error.path, error.line) == (sprint_dir / "loop-config.sh", 5)
    assert error.message == "exits while being sourced (exit status 1)"
    assert error.hint == "it printed: need FOO set"


def test_a_script_that_exits_0_early_is_an_error_too(repo: Path, sprint_dir: Path) -> None:
    error = error_of(repo, "\nexit 0\nMAX_NO_PROGRESS=4\n")
    assert (error.line, error.message) == (2, "exits while being sourced (exit status 0)")


def test_a_bash_error_that_stops_the_script_is_located(repo: Path, sprint_dir: Path) -> None:
    error = error_of(repo, "set -u\nno_such_command_xyz\nMAX_NO_PROGRESS=$UNSET_THING\n")
    assert error.line == 3
    assert error.message.startswith("bash: UNSET_THING: unbound variable (exit status ")


def test_a_wrong_value_points_at_its_assignment(repo: Path, sprint_dir: Path) -> None:
    error = error_of(repo, "# limits\nMAX_NO_PROGRESS=3\n\nexport MAX_TEST_FIX_ATTEMPTS=abc\n")
    assert str(error) == (
        f"{sprint_dir / 'loop-config.sh'}:4: "
        "MAX_TEST_FIX_ATTEMPTS must be an integer >= 0, got 'abc'"
    )


def test_unknown_variables_and_survived_errors_are_warnings(repo: Path, sprint_dir: Path) -> None:
    script = (
        "RED='\\033[0;31m'\nhelper=lowercase_is_fine\nMAX_NO_PROGRES=2\n"
        "no_such_command_xyz\nread -r REPLY <<< 'x'\nMAX_NO_PROGRESS=5\n"
    )
    loaded = load_sh(repo, script)
    where = "docs/sprints/s1/loop-config.sh"
    assert loaded.config.limits.max_no_progress == 5
    assert loaded.warnings == (
        f"{where}:4: bash: no_such_command_xyz: command not found",
        f"{where}:1: RED is not a loopd setting (ignored)",
        f"{where}:3: MAX_NO_PROGRES is not a loopd setting (ignored);"
        " did you mean 'MAX_NO_PROGRESS'?",
    )


def test_a_script_that_hangs_is_stopped(repo: Path, sprint_dir: Path) -> None:
    sprint = sprint_of(repo)
    sprint.config_sh.write_text("sleep 30\n")
    with pytest.raises(LoopdError, match=re.escape("did not finish within 0.3 s")):
        read_bash(sprint, {}, ENV, str(sprint.config_sh), timeout=0.3)
