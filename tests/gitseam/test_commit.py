"""auto_commit on real repositories: content, secrets withheld, hooks, branches, push."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from loopd.errors import LoopdError
from loopd.gitseam import GitSeam
from tests.conftest import git
from tests.gitseam.conftest import events_of, make_seam, on_loop_branch

# Built at run time so no scanner mistakes this file for a leak.
AWS_KEY = "AKIA" + "Q7" * 8


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def hook(repo: Path, name: str, body: str) -> None:
    path = repo / ".git" / "hooks" / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_everything_changed_is_committed_with_the_message(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    (repo / "README.md").write_text("# project\n\nmore\n")
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text("print('hi')\n")
    message = "loopd(testing): BT-007 passes after FIX-BT-007"

    result = loop_seam.auto_commit(message)

    assert result is not None
    assert result.sha == head(repo)
    assert git(repo, "log", "-1", "--format=%B").strip() == message
    assert sorted(result.files) == ["README.md", "src/app.py"]
    assert git(repo, "show", "HEAD:src/app.py") == "print('hi')\n"
    assert not loop_seam.is_dirty()
    assert events_of(loop_seam, "git_commit")[0]["sha"] == result.sha


def test_ignored_files_stay_out(loop_seam: GitSeam) -> None:
    (loop_seam.repo / ".loopd" / "s1" / "status.json").parent.mkdir(parents=True, exist_ok=True)
    (loop_seam.repo / ".loopd" / "s1" / "status.json").write_text("{}")
    (loop_seam.repo / "a.txt").write_text("a\n")
    result = loop_seam.auto_commit("loopd(implement): a")
    assert result is not None
    assert result.files == ("a.txt",)


def test_secrets_are_withheld_and_reported_and_the_rest_committed(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    (repo / ".env").write_text("TOKEN=abc\n")
    (repo / "deploy.txt").write_text(f"region: eu\nkey: {AWS_KEY}\n")
    (repo / "app.py").write_text("print('hi')\n")
    (repo / ".env.example").write_text("TOKEN=\n")

    result = loop_seam.auto_commit("loopd(implement): app")

    assert result is not None
    assert sorted(result.files) == [".env.example", "app.py"]
    reasons = {w.path: w.reason for w in result.withheld}
    assert set(reasons) == {".env", "deploy.txt"}
    assert "AWS access key" in reasons["deploy.txt"]
    assert "line 2" in reasons["deploy.txt"]
    assert {f["path"] for f in events_of(loop_seam, "git_withheld")[0]["files"]} == set(reasons)
    assert (repo / ".env").read_text() == "TOKEN=abc\n"
    assert git(repo, "status", "--porcelain").splitlines() == ["?? .env", "?? deploy.txt"]


def test_a_secret_the_agent_staged_itself_is_unstaged(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    (repo / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n...\n")
    git(repo, "add", "id_rsa")
    (repo / "notes.md").write_text("notes\n")

    result = loop_seam.auto_commit("loopd(implement): notes")

    assert result is not None
    assert result.files == ("notes.md",)
    assert git(repo, "ls-files", "id_rsa") == ""


def test_only_secrets_changed_gives_a_result_without_a_commit(loop_seam: GitSeam) -> None:
    before = head(loop_seam.repo)
    (loop_seam.repo / "server.pem").write_text("cert\n")
    result = loop_seam.auto_commit("loopd(implement): nothing else")
    assert result is not None
    assert (result.sha, result.committed) == (None, False)
    assert [w.path for w in result.withheld] == ["server.pem"]
    assert head(loop_seam.repo) == before


def test_nothing_to_commit_is_none(loop_seam: GitSeam) -> None:
    assert loop_seam.auto_commit("loopd(implement): nothing") is None


def test_commits_off_in_the_config_commit_nothing(repo: Path) -> None:
    on_loop_branch(repo)
    (repo / "a.txt").write_text("a\n")
    assert make_seam(repo, commit=False).auto_commit("loopd(implement): a") is None
    assert git(repo, "log", "--format=%s") == "initial\n"


def test_a_pre_commit_hook_runs(loop_seam: GitSeam) -> None:
    hook(loop_seam.repo, "pre-commit", 'echo ran > "$(git rev-parse --git-dir)/hook-marker"')
    (loop_seam.repo / "a.txt").write_text("a\n")
    assert loop_seam.auto_commit("loopd(implement): a") is not None
    assert (loop_seam.repo / ".git" / "hook-marker").read_text() == "ran\n"


def test_a_hook_that_rejects_is_an_error_with_its_output(loop_seam: GitSeam) -> None:
    hook(loop_seam.repo, "commit-msg", 'echo "message must name a ticket" >&2; exit 1')
    before = head(loop_seam.repo)
    (loop_seam.repo / "a.txt").write_text("a\n")
    with pytest.raises(LoopdError, match="message must name a ticket"):
        loop_seam.auto_commit("loopd(implement): a")
    assert head(loop_seam.repo) == before
    assert (loop_seam.repo / "a.txt").exists()


def test_committing_on_main_is_refused(seam: GitSeam) -> None:
    (seam.repo / "a.txt").write_text("a\n")
    with pytest.raises(LoopdError, match="protected branch main"):
        seam.auto_commit("loopd(implement): a")
    assert git(seam.repo, "status", "--porcelain") == "?? a.txt\n"


def test_unresolved_conflicts_are_refused(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    (repo / "README.md").write_text("stashed version\n")
    git(repo, "stash", "-q")
    (repo / "README.md").write_text("committed version\n")
    git(repo, "commit", "-q", "-am", "change")
    subprocess.run(["git", "stash", "pop", "-q"], cwd=repo, capture_output=True, check=False)
    with pytest.raises(LoopdError, match="unresolved merge conflicts"):
        loop_seam.auto_commit("loopd(implement): x")


def remote(repo: Path, tmp_path: Path, upstream: bool) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    if upstream:
        git(repo, "push", "-q", "-u", "origin", "HEAD")
    return bare


def test_nothing_is_pushed_by_default(loop_seam: GitSeam, tmp_path: Path) -> None:
    bare = remote(loop_seam.repo, tmp_path, upstream=True)
    pushed_before = git(bare, "rev-parse", "loop-v2/s1-20260101-000000")
    (loop_seam.repo / "a.txt").write_text("a\n")
    result = loop_seam.auto_commit("loopd(implement): a")
    assert result is not None
    assert result.pushed is False
    assert git(bare, "rev-parse", "loop-v2/s1-20260101-000000") == pushed_before


def test_push_when_configured_sets_the_upstream_once(repo: Path, tmp_path: Path) -> None:
    name = on_loop_branch(repo)
    bare = remote(repo, tmp_path, upstream=False)
    seam = make_seam(repo, push=True)
    (repo / "a.txt").write_text("a\n")

    result = seam.auto_commit("loopd(implement): a")

    assert result is not None
    assert (result.pushed, result.push_error) == (True, "")
    assert git(bare, "rev-parse", name).strip() == result.sha
    assert git(repo, "rev-parse", "--abbrev-ref", "@{u}").strip() == f"origin/{name}"
    assert events_of(seam, "git_push")[0]["ok"] is True


def test_a_diverged_remote_is_never_forced(repo: Path, tmp_path: Path) -> None:
    name = on_loop_branch(repo)
    bare = remote(repo, tmp_path, upstream=True)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", name, str(bare), str(other))
    (other / "theirs.txt").write_text("theirs\n")
    git(other, "add", "theirs.txt")
    git(other, "-c", "user.name=o", "-c", "user.email=o@o", "commit", "-q", "-m", "theirs")
    git(other, "push", "-q")
    theirs = git(bare, "rev-parse", name)
    (repo / "a.txt").write_text("a\n")

    result = make_seam(repo, push=True).auto_commit("loopd(implement): a")

    assert result is not None
    assert result.committed and not result.pushed
    assert "rejected" in result.push_error
    assert git(bare, "rev-parse", name) == theirs
