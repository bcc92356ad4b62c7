"""Credentials never reach a loop commit: the content scan of what a commit adds, on real repos.

Each secret below is built at run time, so this file itself holds none.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from loopd.gitseam import GitSeam
from loopd.gitseam.contentscan import Finding, scan
from tests.conftest import git
from tests.gitseam.conftest import events_of

NPM_TOKEN = "npm_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCY" + "Q7xK2mZ9pL4v"
PASSWORD = "correct-" + "horse-battery-staple-42"
DOTENV_VALUE = "acme-" + "9f8e7d6c5b4a3" + "-Q7zK"
CUSTOM_TOKEN = "zz" + "custom" + "-q8w7e6r5t4y3"

LEAKS = {
    ".npmrc": f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={NPM_TOKEN}\n",
    "deploy/prod.env": "DATABASE_HOST=db.internal\nAPI_KEY=" + "8f14e45fceea167a5a36dedd4bea2543\n",
    "src/settings.py": f'DEBUG = False\npassword = "{PASSWORD}"\n',
    "config/aws.ini": f"[default]\nregion = eu-west-1\naws_secret_access_key = {AWS_SECRET}\n",
    "docs/setup.md": f"# Setup\n\nUse the shared key `{DOTENV_VALUE}` for staging.\n",
    "src/client.py": f"HEADER = {CUSTOM_TOKEN!r}\n",
}


def test_every_credential_is_withheld_kept_on_disk_reported_and_the_rest_committed(
    loop_seam: GitSeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = loop_seam.repo
    # The exact values loopd redacts elsewhere: a .env value and a secret-named variable's.
    (repo / ".env").write_text(f"ACME_KEY={DOTENV_VALUE}\n")
    monkeypatch.setenv("ACME_SERVICE_TOKEN", CUSTOM_TOKEN)
    for name, text in LEAKS.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    (repo / "src" / "app.py").write_text("def main() -> None:\n    print('hello')\n")

    result = loop_seam.auto_commit("loopd(implement): BUILD-001 done")

    assert result is not None and result.sha is not None
    committed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert committed == ["src/app.py"]
    reasons = {w.path: w.reason for w in result.withheld}
    assert set(reasons) == {".env", *LEAKS}
    assert "ACME_KEY" in reasons["docs/setup.md"]
    assert "ACME_SERVICE_TOKEN" in reasons["src/client.py"]
    assert "line 2" in reasons["src/settings.py"]
    for name, text in LEAKS.items():
        assert (repo / name).read_text() == text  # kept on disk, untouched
    reported = events_of(loop_seam, "git_withheld")[0]["files"]
    assert {f["path"] for f in reported} == set(reasons)
    history = git(repo, "log", "-p", "--all")
    for secret in (NPM_TOKEN, AWS_SECRET, PASSWORD, DOTENV_VALUE, CUSTOM_TOKEN):
        assert secret not in history


def test_a_secret_added_to_a_tracked_file_holds_back_only_that_file(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    (repo / "config.ini").write_text("[db]\nhost = localhost\n")
    (repo / "notes.md").write_text("notes\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "config")
    (repo / "config.ini").write_text(f"[db]\nhost = localhost\npassword = {PASSWORD}\n")
    (repo / "notes.md").write_text("notes\nmore\n")

    result = loop_seam.auto_commit("loopd(implement): db")

    assert result is not None and result.files == ("notes.md",)
    assert [w.path for w in result.withheld] == ["config.ini"]
    assert git(repo, "status", "--porcelain").splitlines() == [" M config.ini"]


def test_an_old_secret_in_a_file_does_not_hold_back_a_new_edit(loop_seam: GitSeam) -> None:
    # Only what the commit adds is scanned: a fixture committed by the user long
    # ago must not withhold every later change to its file.
    repo = loop_seam.repo
    (repo / "fixtures.py").write_text(f'password = "{PASSWORD}"\n')
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "fixtures")
    (repo / "fixtures.py").write_text(f'password = "{PASSWORD}"\nLIMIT = 3\n')
    result = loop_seam.auto_commit("loopd(implement): limit")
    assert result is not None and result.files == ("fixtures.py",) and not result.withheld


def test_ordinary_code_is_committed(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    (repo / "src").mkdir()
    (repo / "src" / "auth.py").write_text(
        "def login(password: str) -> bool:\n"
        "    token = make_token(password)\n"
        "    return check(token)\n"
        'PASSWORD_FIELD = "password"\n'
        "password = os.environ['DB_PASSWORD']\n"
    )
    (repo / ".env.example").write_text("API_KEY=\nDB_PASSWORD=changeme\n")
    result = loop_seam.auto_commit("loopd(implement): auth")
    assert result is not None and not result.withheld
    assert sorted(result.files) == [".env.example", "src/auth.py"]


def test_the_scan_works_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the secret scan tried the network")

    monkeypatch.setattr(requests.Session, "request", no_network)
    diff = _diff_adding(
        "a.txt", [f"token = '{NPM_TOKEN}'", "slack = 'xoxb-" + "1234567890-abcdefghij'"]
    )
    assert {f.path for f in scan(diff)} == {"a.txt"}


def test_known_values_are_found_by_exact_match() -> None:
    diff = _diff_adding("a.md", ["nothing here", f"see {DOTENV_VALUE} there"])
    found = list(scan(diff, [("ACME_KEY", DOTENV_VALUE)]))
    assert Finding("a.md", 2, "the secret value of ACME_KEY") in found


def _diff_adding(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def test_scanning_a_commit_of_twenty_files_is_quick(loop_seam: GitSeam) -> None:
    repo = loop_seam.repo
    source = Path(__file__).with_name("test_commit.py").read_text()
    for index in range(20):
        (repo / f"module_{index}.py").write_text(source)
    started = time.monotonic()
    result = loop_seam.auto_commit("loopd(implement): twenty files")
    elapsed = time.monotonic() - started
    assert result is not None and len(result.files) + len(result.withheld) == 20
    # Generous for a loaded CI machine; typically well under a second.
    assert elapsed < 20, f"a 20-file commit took {elapsed:.1f} s"
