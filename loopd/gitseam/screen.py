"""Which changed files must not be committed because they look like secrets.

Two checks, both meant to be high-confidence so that auto-commit rarely
withholds a legitimate file: the file's name (``.env``, ``*.pem``, SSH keys,
credential JSON, ...) and its content (token formats with a fixed shape, such
as AWS access key ids, private key headers and GitHub or Anthropic tokens).
"""

from __future__ import annotations

import fnmatch
import re
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from loopd.gitseam.results import Withheld

# Only the start of a file is read: secrets sit in config files and source,
# and a multi-megabyte blob is data, not a key.
SCAN_BYTES = 2 * 1024 * 1024

NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    (".env", "an environment file"),
    (".env.*", "an environment file"),
    ("*.env", "an environment file"),
    ("*.pem", "a PEM key or certificate"),
    ("*.key", "a private key file"),
    ("*.p12", "a PKCS#12 key store"),
    ("*.pfx", "a PKCS#12 key store"),
    ("*.jks", "a Java key store"),
    ("*.keystore", "a key store"),
    ("id_rsa", "an SSH private key"),
    ("id_dsa", "an SSH private key"),
    ("id_ecdsa", "an SSH private key"),
    ("id_ed25519", "an SSH private key"),
    ("*credentials*.json", "a credentials file"),
    (".netrc", "a login credentials file"),
)

# Templates that document which variables exist, without values.
SAFE_NAMES = frozenset(
    {".env.example", ".env.sample", ".env.template", ".env.dist"}
    | {"example.env", "sample.env", "template.env"}
)


def _token(body: str) -> re.Pattern[bytes]:
    # A token only counts when it is not part of a longer word.
    return re.compile(rb"(?<![A-Za-z0-9_])" + body.encode() + rb"(?![A-Za-z0-9_])")


CONTENT_PATTERNS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (_token(r"AKIA[0-9A-Z]{16}"), "an AWS access key id"),
    (
        re.compile(rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"),
        "a private key",
    ),
    (_token(r"gh[pousr]_[A-Za-z0-9]{36}"), "a GitHub token"),
    (_token(r"github_pat_[A-Za-z0-9_]{82}"), "a GitHub token"),
    (_token(r"sk-ant-[A-Za-z0-9_\-]{20,}"), "an Anthropic API key"),
    (_token(r"sk-proj-[A-Za-z0-9_\-]{40,}"), "an OpenAI API key"),
    (_token(r"xox[abprs]-[A-Za-z0-9\-]{10,}"), "a Slack token"),
    (_token(r"sk_live_[A-Za-z0-9]{24,}"), "a Stripe live key"),
    (_token(r"AIza[0-9A-Za-z_\-]{35}"), "a Google API key"),
)

# Documentation examples (AWS's own AKIAIOSFODNN7EXAMPLE) are not secrets.
_PLACEHOLDER = b"EXAMPLE"


def screen(root: Path, paths: Iterable[str]) -> tuple[Withheld, ...]:
    """The files among ``paths`` (relative to ``root``) that must not be committed."""
    found = (_check(root, path) for path in paths)
    return tuple(w for w in found if w is not None)


def _check(root: Path, path: str) -> Withheld | None:
    reason = name_reason(path) or content_reason(root / path)
    return Withheld(path, reason) if reason else None


def name_reason(path: str) -> str | None:
    """Why ``path``'s name marks it as a secret, or None."""
    name = PurePosixPath(path).name.lower()
    if name in SAFE_NAMES:
        return None
    for pattern, what in NAME_PATTERNS:
        if fnmatch.fnmatchcase(name, pattern):
            return f"named like {what} ({pattern})"
    return None


def content_reason(path: Path) -> str | None:
    """Why the content of ``path`` looks like a secret, or None (also for non-files)."""
    data = _head(path)
    for pattern, what in CONTENT_PATTERNS:
        for match in pattern.finditer(data):
            if _PLACEHOLDER not in match.group():
                line = data.count(b"\n", 0, match.start()) + 1
                return f"contains what looks like {what} (line {line})"
    return None


def _head(path: Path) -> bytes:
    try:
        # Links are committed as their target's name, so their target is not read.
        if not stat.S_ISREG(path.lstat().st_mode):
            return b""
        with path.open("rb") as handle:
            return handle.read(SCAN_BYTES)
    except OSError:
        return b""
