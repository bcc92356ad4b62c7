"""A real loop run whose agent leaves credentials around: none is committed or stored.

The secrets are built at run time, so this file holds none.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import git
from tests.integration.sprints import install, loopd, work

NPM_TOKEN = "npm_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5"
PASSWORD = "correct-" + "horse-battery-staple-42"
CUSTOM = "zz" + "custom" + "-q8w7e6r5t4y3"


def _leaky_build(repo: Path) -> None:
    """BUILD-001 also writes an .npmrc and a password, and echoes its token."""
    path = repo / ".loopd" / "replay.yaml"
    script = yaml.safe_load(path.read_text())
    build = next(rule for rule in script["rules"] if rule["name"] == "build-1")
    build["do"][:0] = [
        {"write": {"path": ".npmrc", "content": f"//registry.npmjs.org/:_authToken={NPM_TOKEN}\n"}},
        {"write": {"path": "settings.py", "content": f'password = "{PASSWORD}"\n'}},
        {"run": 'echo "calling the API with $ACME_API_TOKEN"'},
    ]
    path.write_text(yaml.safe_dump(script, sort_keys=False))


def test_credentials_an_agent_leaves_are_withheld_reported_and_never_stored(repo: Path) -> None:
    install(repo, "greeter")
    _leaky_build(repo)

    done = loopd(repo, "run", "s1", env={"ACME_API_TOKEN": CUSTOM})

    assert done.returncode == 0, done.stdout + done.stderr
    history = git(repo, "log", "-p", "--all")
    assert "greet.py" in history  # the rest is committed
    assert NPM_TOKEN not in history and PASSWORD not in history
    assert (work(repo) / ".npmrc").exists() and (work(repo) / "settings.py").exists()
    log = done.stdout + done.stderr
    assert "not committed (likely secret, kept on disk): .npmrc" in log
    assert "not committed (likely secret, kept on disk): settings.py" in log
    status = loopd(repo, "status", "s1").stdout
    assert "withheld   .npmrc:" in status and "withheld   settings.py:" in status
    # What loopd stores: its runtime files, not the worktree the agent wrote in.
    stored = [p for p in (repo / ".loopd" / "s1").rglob("*") if p.is_file()]
    outputs = [p for p in stored if p.name.endswith("-implement-BUILD-001.out")]
    assert outputs and "calling the API with [REDACTED:ACME_API_TOKEN]" in outputs[0].read_text()
    for path in stored:
        assert CUSTOM not in path.read_text(errors="replace"), path
