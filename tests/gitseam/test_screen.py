"""Which files look like secrets: by name and by high-confidence content patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopd.gitseam.screen import content_reason, name_reason, screen

# Token shapes built at run time so this file itself holds no token.
TOKENS = {
    "an AWS access key id": "AKIA" + "Z3" * 8,
    "a private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
    "a GitHub token": "ghp_" + "a1B2" * 9,
    "an Anthropic API key": "sk-ant-" + "api03-" + "x9" * 20,
}


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "config/.env.production",
        "certs/server.PEM",
        "tls.key",
        "id_rsa",
        "gcp-credentials.json",
        "store.p12",
    ],
)
def test_secret_names(path: str) -> None:
    assert name_reason(path) is not None


@pytest.mark.parametrize(
    "path", [".env.example", "id_rsa.pub", "keys.py", "environment.md", "credentials.md"]
)
def test_ordinary_names(path: str) -> None:
    assert name_reason(path) is None


@pytest.mark.parametrize(("what", "token"), list(TOKENS.items()))
def test_secret_content(tmp_path: Path, what: str, token: str) -> None:
    (tmp_path / "f.txt").write_text(f"first line\nvalue = '{token}'\n")
    assert content_reason(tmp_path / "f.txt") == f"contains what looks like {what} (line 2)"


@pytest.mark.parametrize(
    "text",
    [
        "aws_key = 'AKIAIOSFODNN7EXAMPLE'  # the AWS documentation's example\n",
        "XAKIA" + "Z3" * 8 + " is part of a longer word\n",
        "sk-ant- is a prefix, not a key\n",
    ],
)
def test_lookalikes_are_not_secrets(tmp_path: Path, text: str) -> None:
    (tmp_path / "f.txt").write_text(text)
    assert content_reason(tmp_path / "f.txt") is None


def test_links_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(TOKENS["a GitHub token"])
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert [w.path for w in screen(tmp_path, ["link.txt", "real.txt"])] == ["real.txt"]
