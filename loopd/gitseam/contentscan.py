"""A content scan of what a commit would add: detect-secrets, and the values loopd knows.

:mod:`loopd.gitseam.screen` refuses files by name and by a few fixed token
shapes before anything is staged.  This scan runs on the staged diff and
looks only at the lines the commit *adds* (a new file: all of it; a changed
file: its new lines), so a test fixture committed long ago does not hold a
file back forever, and a commit of a few files costs milliseconds, not a scan
of the tree.  Two checks:

1. detect-secrets (Yelp's maintained, plugin-based scanner, run offline with
   its default plugins and filters: provider token formats such as AWS, npm,
   GitHub, Slack, Stripe and private keys; ``password = "..."``-style keyword
   assignments; high-entropy strings; credentials in URLs);
2. the exact values loopd redacts everywhere else (:mod:`loopd.redact`): the
   secret values of the repository's ``.env`` files and of the secret-named
   environment variables, when at least :data:`KNOWN_MIN` characters long
   (a 4-character password is masked in what loopd stores, but refusing every
   file containing ``test`` would withhold half a code base).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from git import Repo

from loopd.gitseam.repo import git
from loopd.gitseam.results import Withheld
from loopd.redact import SECRET_WORDS, env_secrets, environ_secrets

KNOWN_MIN = 8
_SECRET_NAME = re.compile(rf"(?i)[\w.-]*(?:{SECRET_WORDS})[\w.-]*")
# Paths unquoted (UTF-8 names as they are), so a finding names the staged file.
_DIFF = (
    *("-c", "core.quotePath=false", "diff", "--cached", "-U0"),
    *("--no-color", "--no-ext-diff", "--no-renames", "--no-textconv"),
)


@dataclass(frozen=True)
class Finding:
    """One secret-looking line of a file a commit would add or change."""

    path: str
    line: int
    what: str

    @property
    def reason(self) -> str:
        return f"contains what looks like {self.what} (line {self.line})"


def known_secrets(repo: Path, environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(name, value)`` of the secrets loopd knows: ``.env`` values, secret-named variables."""
    env = os.environ if environ is None else environ
    return [*env_secrets(repo), *environ_secrets(env)]


def scan_staged(
    repo: Repo, root: Path, skip: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> tuple[Withheld, ...]:
    """The staged files (but ``skip``) whose added lines hold a secret: one Withheld each."""
    diff = git(repo, *_DIFF)
    if not diff.strip():
        return ()
    known = [(n, v) for n, v in known_secrets(root, environ) if len(v.strip()) >= KNOWN_MIN]
    first: dict[str, Finding] = {}
    for finding in scan(diff, known):
        if finding.path not in skip and finding.path not in first:
            first[finding.path] = finding
    return tuple(Withheld(path, found.reason) for path, found in sorted(first.items()))


def scan(diff: str, known: Iterable[tuple[str, str]] = ()) -> Iterator[Finding]:
    """Secret-looking added lines of a unified ``diff`` (``a/``/``b/`` prefixes)."""
    yield from _known_values(diff, list(known))
    yield from _detect_secrets(diff)


def _known_values(diff: str, known: list[tuple[str, str]]) -> Iterator[Finding]:
    if not known:
        return
    from unidiff.patch import PatchSet

    for patched in PatchSet(io.StringIO(diff)):
        for hunk in patched:
            for line in hunk.target_lines():
                if not line.is_added:
                    continue
                for name, value in known:
                    if value in line.value:
                        what = f"the secret value of {name}"
                        yield Finding(patched.path, line.target_line_no or 0, what)
                        break


def _detect_secrets(diff: str) -> Iterator[Finding]:
    # Imported when a commit is scanned (0.3 s): `loopd status` never pays for it.
    from detect_secrets.core.scan import scan_diff
    from detect_secrets.settings import default_settings

    # detect-secrets logs each file it reads; loopd's log is not the place.
    with _quiet(), default_settings() as settings:
        # That filter drops a path that is not a file relative to our working
        # directory: the diff's paths are the repository's.
        settings.disable_filters("detect_secrets.filters.common.is_invalid_file")
        for secret in scan_diff(diff):
            if _names_a_field(secret.type, secret.secret_value):
                continue
            line = secret.line_number or 0
            yield Finding(_relative(secret.filename), line, _article(secret.type))


def _names_a_field(kind: str, value: str | None) -> bool:
    """``PASSWORD_FIELD = "password"``: a keyword whose value is a secret's *name*, not a secret."""
    return kind == "Secret Keyword" and bool(value) and bool(_SECRET_NAME.fullmatch(value or ""))


def _relative(filename: str) -> str:
    # unidiff's path drops the a/ b/ prefixes already; keep this total anyway.
    return filename.removeprefix("b/")


def _article(kind: str) -> str:
    """``a Secret Keyword`` / ``an AWS Access Key``: detect-secrets' type names in a sentence."""
    return ("an " if kind[:1].upper() in "AEIOU" else "a ") + kind


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("detect-secrets")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
