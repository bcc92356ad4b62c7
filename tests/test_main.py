"""The top-level handler: exit codes and messages a user sees."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from loopd.commands import crash
from loopd.main import cli, main


def test_version_prints_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "loopd, version" in capsys.readouterr().out


def test_user_error_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["-C", str(tmp_path), "init", "../nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("loopd: error: ") and "../nope" in err


def test_usage_error_exits_2_like_click(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


@pytest.fixture
def extra_command() -> object:
    """Register a throwaway command on the real group, removed afterwards."""
    added: list[str] = []

    def add(name: str, exc: BaseException) -> None:
        @cli.command(name)
        def _cmd() -> None:
            raise exc

        added.append(name)

    yield add
    for name in added:
        cli.commands.pop(name)


def test_ctrl_c_exits_130(extra_command, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    extra_command("boom-int", KeyboardInterrupt())
    assert main(["boom-int"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_bug_gives_short_message_and_traceback_in_log(
    extra_command,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    log = tmp_path / "loopd" / "crash.log"
    assert crash.crash_log() == log
    extra_command("boom-bug", ZeroDivisionError("division by zero"))
    assert main(["boom-bug"]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and str(log) in err
    assert "Traceback" not in err
    assert "Traceback (most recent call last)" in log.read_text()


def test_every_subcommand_has_help_text() -> None:
    def walk(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
        found = []
        for name, cmd in group.commands.items():
            found.append((f"{prefix}{name}", cmd))
            if isinstance(cmd, click.Group):
                found += walk(cmd, f"{prefix}{name} ")
        return found

    names = {name for name, _ in walk(cli, "")}
    expected = {
        "start",
        "run",
        "stop",
        "status",
        "logs",
        "graph",
        "doctor",
        "init",
        "demo",
        "prompts",
        "regression",
    }
    assert expected <= names
    for name, cmd in walk(cli, ""):
        assert cmd.help and len(cmd.help) > 20, name


def test_sprints_root_comes_from_the_config_unless_given(tmp_path: Path) -> None:
    from tests.cli import run_cli

    (tmp_path / ".loopd").mkdir()
    (tmp_path / ".loopd/config.yaml").write_text("paths:\n  sprints_root: plans\n")
    (tmp_path / "plans/alpha").mkdir(parents=True)
    (tmp_path / "elsewhere/beta").mkdir(parents=True)
    assert run_cli(tmp_path, "status").out.startswith("alpha")
    assert run_cli(tmp_path, "--sprints-root", "elsewhere", "status").out.startswith("beta")
    env = {"LOOPD_PATHS_SPRINTS_ROOT": "elsewhere"}
    assert run_cli(tmp_path, "status", env=env).out.startswith("beta")
