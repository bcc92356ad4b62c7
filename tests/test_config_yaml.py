"""YAML config files: sections and loop-v2 flat names, located errors and warnings, fuzzing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from loopd.config import load_config
from loopd.config.layers import build, merge
from loopd.config.yamlsrc import read_yaml
from loopd.errors import LoopdError

FIXTURES = Path(__file__).parent / "fixtures" / "config"
ENV = {"PATH": "/usr/bin:/bin"}
WHERE = Path("/repo/.loopd/config.yaml")


def load_text(text: str):  # type: ignore[no-untyped-def]
    layer = read_yaml(text, WHERE)
    return build(merge([layer])), layer.warnings


def error_of(text: str) -> str:
    with pytest.raises(LoopdError) as caught:
        load_text(text)
    return str(caught.value)


def test_nested_sections(repo: Path) -> None:
    (repo / ".loopd").mkdir()
    (repo / ".loopd/config.yaml").write_text((FIXTURES / "nested.yaml").read_text())
    loaded = load_config(repo, env=ENV)
    config = loaded.config
    assert (config.limits.max_test_fix_attempts, config.limits.spot_check_probability) == (4, 0)
    assert (config.timeouts.test, config.timeouts.fix) == (90.0, 600.5)
    assert config.retries.backoff == (1.0, 2.0, 4.0)
    assert config.agent.backend == "codex"
    assert config.agent.binaries["codex"] == "/opt/codex/bin/codex"
    assert config.agent.binaries["claude"] == "claude"
    assert config.agent.extra_args == {"codex": ("--model", "o4"), "claude": ("--model", "opus")}
    assert config.tests.test_runner_preamble == (
        "Start the server with: make serve\nThen run the check.\n"
    )
    assert (config.git.push, config.watch.enabled) == (True, False)
    assert loaded.warnings == ()
    assert loaded.origins["agent.binaries.codex"] == ".loopd/config.yaml:13"


def test_loop_v2_flat_names() -> None:
    config, warnings = load_text((FIXTURES / "flat.yaml").read_text())
    assert config.limits.max_test_fix_attempts == 5
    assert config.limits.max_no_progress == 10
    assert config.services.frontend_port == 5173
    assert warnings == []


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "null\n", "limits:\n"])
def test_empty_files_and_sections_set_nothing(text: str) -> None:
    config, warnings = load_text(text)
    assert config == build({})
    assert warnings == []


def test_unknown_keys_warn_with_file_and_line() -> None:
    text = "limits:\n  max_test_fix_attempts: 4\n  max_no_progres: 2\nfoo: 1\n12: x\nLIMITS: {}\n"
    config, warnings = load_text(text)
    assert config.limits.max_test_fix_attempts == 4
    assert warnings == [
        f"{WHERE}:3: limits.max_no_progres is not a loopd setting (ignored);"
        " did you mean 'limits.max_no_progress'?",
        f"{WHERE}:4: foo is not a loopd setting (ignored)",
        f"{WHERE}:5: 12 is not a loopd setting (ignored)",
        f"{WHERE}:6: LIMITS is not a loopd setting (ignored)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "limits:\n  max_test_fix_attempts: abc\n",
            "2: limits.max_test_fix_attempts must be an integer >= 0, got 'abc'",
        ),
        ("\n\nMAX_TEST_FIX_ATTEMPTS: 2.5\n", "3: MAX_TEST_FIX_ATTEMPTS must be an integer >= 0"),
        ("limits:\n  spot_check_probability: 101\n", "2: limits.spot_check_probability must be"),
        ("tests:\n  test_runner_preamble: yes\n", "2: tests.test_runner_preamble must be a string"),
        ("git: {branch_prefix: ''}\n", "1: git.branch_prefix must be a non-empty string, got ''"),
        ("retries:\n  backoff: []\n", "2: retries.backoff must be a non-empty list of numbers"),
        ("retries:\n  backoff: [1, -2]\n", "2: retries.backoff[1] must be a number >= 0, got -2"),
        ("agent:\n  binaries:\n    cursor: x\n", "3: agent.binaries: unknown key 'cursor'"),
        ("agent:\n  extra_args:\n    claude: [1]\n", "3: agent.extra_args.claude must be a list"),
        ("agent:\n  binaries: [claude]\n", "2: agent.binaries must be a mapping"),
        ("limits: 5\n", "1: limits must be a mapping of settings"),
        ("- limits\n", "1: must be a mapping of settings"),
        ("watch:\n  debounce: .nan\n", "2: watch.debounce must be a number >= 0"),
    ],
)
def test_bad_values_name_file_line_and_setting(text: str, expected: str) -> None:
    assert error_of(text).startswith(f"{WHERE}:{expected}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "limits:\n  max_no_progress: 3\n  max_no_progress: 4\n",
            "3: limits.max_no_progress is set twice",
        ),
        (
            "MAX_NO_PROGRESS: 3\nlimits: {max_no_progress: 4}\n",
            "2: limits.max_no_progress is set twice",
        ),
        ("limits: {}\nlimits: {}\n", "2: limits is set twice (first at line 1)"),
    ],
)
def test_a_setting_given_twice_is_an_error(text: str, expected: str) -> None:
    assert error_of(text).startswith(f"{WHERE}:{expected}")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("limits:\n  max_no_progress: 3\n bad indent: [\n", 3),
        ("limits: {max_no_progress: 3\n\n", 3),
        ("a: 1\n---\nb: 2\n", 2),
        ("limits:\n  max_no_progress: !!python/object:os.system x\n", 2),
        ("limits:\n  max_no_progress: !!int nope\n", 2),
        ("watch:\n  debounce: 2001-02-30\n", 2),
        ("limits:\n  max_no_progress: *nowhere\n", 2),
        ("a: b\n\x00\n", 2),
    ],
)
def test_yaml_syntax_errors_name_the_line(text: str, line: int) -> None:
    assert re.match(rf"{re.escape(str(WHERE))}:{line}: invalid YAML", error_of(text))


def test_anchors_and_merge_keys_work_as_in_yaml() -> None:
    text = "base: &b {max_no_progress: 9}\nlimits:\n  <<: *b\n  max_gate_retries: 1\n"
    config, warnings = load_text(text)
    assert (config.limits.max_no_progress, config.limits.max_gate_retries) == (9, 1)
    assert warnings == [f"{WHERE}:1: base is not a loopd setting (ignored)"]


YAMLISH = st.text(alphabet=st.sampled_from(list("limts_axrpg:{}[]-,'\"!&*<>|#?%@ \n\t.019yesnul")))
KEYS = st.sampled_from(
    ["max_no_progress", "backoff", "binaries", "claude", "backend", "test_runner_preamble"]
) | st.text(max_size=6)
SETTINGS = st.dictionaries(
    st.sampled_from(["limits", "agent", "retries", "MAX_NO_PROGRESS", "tests", "other"]),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner),
        max_leaves=8,
    ),
)


def parses_or_located_error(text: str) -> None:
    try:
        load_text(text)
    except LoopdError as exc:
        assert exc.path == WHERE
        assert exc.line is None or exc.line >= 1


@settings(max_examples=300, deadline=None)
@given(YAMLISH)
def test_fuzz_yamlish_text_parses_or_is_a_loopd_error(text: str) -> None:
    parses_or_located_error(text)


@settings(max_examples=200, deadline=None)
@given(SETTINGS)
def test_fuzz_settings_shaped_documents_parse_or_are_loopd_errors(doc: dict[str, object]) -> None:
    parses_or_located_error(yaml.safe_dump(doc))
