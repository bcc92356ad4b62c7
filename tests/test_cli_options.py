"""Options and help as a user types them: -C after the command, a broken config, start --help."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run_cli

BROKEN = "limits: [\n"


def _sprints(repo: Path, root: str, *names: str) -> None:
    for name in names:
        (repo / root / name).mkdir(parents=True)


def test_c_and_sprints_root_are_accepted_after_the_command(repo: Path, sprint_dir: Path) -> None:
    shown = run_cli(None, "status", "-C", str(repo), "s1")
    assert shown.code == 0, shown.err
    assert shown.out.startswith("sprint     s1  (docs/sprints/s1)")
    _sprints(repo, "elsewhere", "beta")
    listed = run_cli(None, "status", "-C", str(repo), "--sprints-root", "elsewhere")
    assert listed.code == 0 and listed.out.startswith("beta"), listed.err
    listed = run_cli(None, "prompts", "list", "--repo", str(repo), "--sprint", "s1")
    assert listed.code == 0 and "vrc" in listed.out, listed.err
    # Given twice, the one after the command wins.
    again = run_cli(repo / "nowhere", "status", "-C", str(repo), "s1")
    assert again.code == 0, again.err


def test_a_broken_config_breaks_neither_help_nor_graph_nor_demo(repo: Path, tmp_path: Path) -> None:
    (repo / ".loopd").mkdir()
    (repo / ".loopd/config.yaml").write_text(BROKEN)
    for args in (["--help"], ["start", "--help"], ["status", "--help"], ["graph"]):
        result = run_cli(repo, *args)
        assert result.code == 0 and result.out, (args, result.err)
    demo = run_cli(repo, "demo", "--keep", str(tmp_path / "demo"))
    assert demo.code == 0, demo.out + demo.err
    # Commands that read the config still say what is wrong with it.
    status = run_cli(repo, "status")
    assert status.code == 1 and "config.yaml:2: invalid YAML" in status.err


def test_start_help_says_what_it_does_to_git_and_where_the_log_is() -> None:
    shown = run_cli(None, "start", "--help")
    assert shown.code == 0
    text = " ".join(shown.out.split())
    assert "its own git worktree and branch" in text and "see README" in text
    assert "never on a protected branch" in text
    assert ".loopd/SPRINT/daemon.log" in text and "loopd logs -f SPRINT" in text
