"""Secrets out of everything loopd stores or passes on from a test run.

Test output is copied into evidence files, the events log, fix prompts and
plan tasks that end up in git, so a token a test printed must not travel with
it.  :class:`Redactor` replaces, in this order:

1. values from the repo's ``.env`` files (secret-named keys: any value of 4+
   characters; other keys: values that look generated, 12+ characters with
   letters and digits, so ``PORT=8000`` or ``HOST=localhost`` stay readable),
   and of secret-named environment variables (:func:`environ_secrets`), so a
   token of a shape no pattern knows is still masked;
2. PEM private-key blocks;
3. ``Authorization:``/``Cookie:`` header values (the auth scheme word is kept);
4. values of secret-named keys and flags: ``password=``, ``"api_key": "..."``,
   ``--token xyz``, ``?access_token=...``;
5. credentials in URLs (``https://user:PASSWORD@host``);
6. well-known token shapes (GitHub, GitLab, Slack, AWS, Google, OpenAI,
   Anthropic, Stripe, npm keys, JWTs).

Every replacement is :data:`MARK` (``[REDACTED]``, or ``[REDACTED:NAME]`` for
a ``.env`` value), and redacting twice changes nothing more.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from loopd.walk import files_below

MARK = "[REDACTED]"

SECRET_WORDS = (
    r"pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|session[_-]?(?:id|key)"
    r"|signing[_-]?key|encryption[_-]?key|dsn"
)
_SECRET_NAME = re.compile(rf"(?i)(?:{SECRET_WORDS})")

_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?)"
    r"((?:bearer|basic|token|digest|negotiate|apikey)[ \t]+)?([^\s\"',;]+)"
)
_COOKIE_HEADER = re.compile(r"(?im)(\b(?:set-)?cookie[\"']?[ \t]*[:=][ \t]*[\"']?)([^\r\n\"']+)")
# name = value, name: value, "name": "value", name=value in query strings.
_KEY_VALUE = re.compile(
    rf"(?i)(\b[\w.-]*(?:{SECRET_WORDS})[\w.-]*[\"']?[ \t]*(?::|=|=>)[ \t]*[\"']?)"
    r"(?!\[REDACTED)([^\s\"',;&<>]+)"
)
_FLAG_VALUE = re.compile(
    rf"(?i)(--?[\w-]*(?:{SECRET_WORDS})[\w-]*[ \t]+[\"']?)(?!\[REDACTED)(?!-)([^\s\"']+)"
)
_URL_CREDENTIALS = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)")
_TOKEN_SHAPES = re.compile(
    r"\b(?:"
    r"gh[opsur]_[A-Za-z0-9]{20,}"
    r"|github_pat_\w{20,}"
    r"|glpat-[\w-]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|npm_[A-Za-z0-9]{36}"
    r"|eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]{5,}"
    r")"
)
_GENERATED = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[^\s]{12,}$")
_EXAMPLE_SUFFIXES = (".example", ".sample", ".template", ".dist")
ENV_SEARCH_DEPTH = 3


@dataclass(frozen=True)
class Redactor:
    """Redacts known secret values (from ``.env`` files) and secret-looking text.

    ``values`` pairs a secret value with the name it is shown under.
    """

    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def for_repo(cls, repo: Path, environ: Mapping[str, str] | None = None) -> Redactor:
        """A redactor knowing the secret values of ``repo``'s ``.env`` files and of
        the secret-named variables of ``environ`` (default: this process's)."""
        env = os.environ if environ is None else environ
        return cls.with_values([*env_secrets(repo), *environ_secrets(env)])

    @classmethod
    def with_values(cls, values: Iterable[tuple[str, str]]) -> Redactor:
        """A redactor for these ``(name, value)`` pairs, longest value first."""
        unique = {value: name for name, value in values if value}
        ordered = sorted(unique.items(), key=lambda pair: -len(pair[0]))
        return cls(values=tuple(ordered))

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by a redaction mark."""
        if not text:
            return text
        if self.values:
            text = self._known.sub(self._mark_known, text)
        text = _PEM.sub(MARK, text)
        text = _AUTH_HEADER.sub(_keep_scheme, text)
        text = _COOKIE_HEADER.sub(lambda m: m.group(1) + MARK, text)
        text = _KEY_VALUE.sub(lambda m: m.group(1) + MARK, text)
        text = _FLAG_VALUE.sub(lambda m: m.group(1) + MARK, text)
        text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MARK + m.group(3), text)
        return _TOKEN_SHAPES.sub(MARK, text)

    @functools.cached_property
    def _known(self) -> re.Pattern[str]:
        # Existing marks match first and are kept whole, so a value that happens
        # to occur inside a mark never rewrites it: redacting twice is stable.
        values = "|".join(re.escape(value) for value, _ in self.values)
        return re.compile(rf"\[REDACTED[^\]]*\]|{values}")

    def _mark_known(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if found.startswith("[REDACTED"):
            return found
        return f"[REDACTED:{dict(self.values)[found]}]"

    def lines(self, lines: Iterable[str]) -> tuple[str, ...]:
        """Each of ``lines`` redacted."""
        return tuple(self(line) for line in lines)

    def output(self, text: str) -> str:
        """An agent's output redacted without breaking its structure.

        A JSON document (Claude's result) or JSON Lines (Codex's events) keep
        their keys, numbers and layout: only string values are redacted, and a
        string under a secret-named key is masked whole.  Anything else is
        redacted as text.
        """
        document = _json(text)
        if document is not _NOT_JSON:
            return json.dumps(self._walk(document), ensure_ascii=False) + "\n"
        lines = text.splitlines(keepends=True)
        parsed = [_json(line) if line.strip() else _BLANK for line in lines]
        if lines and all(item is not _NOT_JSON for item in parsed):
            return "".join(
                line if item is _BLANK else json.dumps(self._walk(item), ensure_ascii=False) + "\n"
                for line, item in zip(lines, parsed, strict=True)
            )
        return self(text)

    def _walk(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, key) for v in value]
        if isinstance(value, str):
            return MARK if value and _SECRET_KEY.fullmatch(key) else self(value)
        return value


_NOT_JSON: Any = object()
_BLANK: Any = object()
# A key that names a secret (not one that merely contains a secret word:
# "input_tokens" counts tokens, "session_id" of an agent CLI names a chat).
_SECRET_KEY = re.compile(
    r"(?i)(?:[a-z0-9]*[_-])?(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey"
    r"|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key)"
)


def _json(text: str) -> Any:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return _NOT_JSON
    try:
        return json.loads(stripped)
    except ValueError:
        return _NOT_JSON


def _keep_scheme(match: re.Match[str]) -> str:
    if match.group(3).startswith("[REDACTED"):
        return match.group(0)
    return f"{match.group(1)}{match.group(2) or ''}{MARK}"


def env_secrets(repo: Path) -> list[tuple[str, str]]:
    """``(name, value)`` of every value in ``repo``'s ``.env`` files worth redacting."""
    found: list[tuple[str, str]] = []
    for path in env_files(repo):
        for name, value in dotenv_values(path, interpolate=False).items():
            if value and worth_redacting(name, value):
                found.append((name, value))
    return found


def worth_redacting(name: str, value: str) -> bool:
    """Whether a ``.env`` value is a secret, judged by its key's name and its shape."""
    value = value.strip()
    if _SECRET_NAME.search(name):
        return len(value) >= 4
    return bool(_GENERATED.match(value)) and "://" not in value and value[0] not in "/."


# Words that make an environment variable's name a secret's, as whole parts of
# the name: API_TOKEN and DB_PASS are secrets, TOKENIZERS_PARALLELISM and PWD are not.
_ENV_SECRET_PARTS = frozenset(
    {"password", "passwd", "passphrase", "pass", "pw", "secret", "token", "key", "apikey"}
    | {"credential", "credentials", "cred", "creds", "dsn", "pat", "auth"}
)
# A part that ends in one of these is a secret's too, glued to a prefix: ACMETOKEN.
_ENV_SECRET_ENDINGS = ("token", "secret", "password", "passwd", "apikey", "creds")
# ...unless the name says what it holds is where a secret is, not the secret:
# SSH_AUTH_SOCK, GOOGLE_APPLICATION_CREDENTIALS_FILE, NPM_TOKEN_PATH.
_ENV_NOT_SECRET_LAST = frozenset({"sock", "socket", "file", "path", "dir", "url", "host", "port"})
ENV_SECRET_MIN = 6


def environ_secrets(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(name, value)`` of the environment variables whose names say they hold a secret.

    Short values (``true``, ``1``) are left out: masking them would mask
    ordinary words everywhere.
    """
    return [
        (name, value)
        for name, value in environ.items()
        if len(value.strip()) >= ENV_SECRET_MIN and _secret_env_name(name)
    ]


def _secret_env_name(name: str) -> bool:
    parts = [part for part in re.split(r"[_\-.]+", name.lower()) if part]
    if not parts or parts[-1] in _ENV_NOT_SECRET_LAST:
        return False
    return any(part in _ENV_SECRET_PARTS or part.endswith(_ENV_SECRET_ENDINGS) for part in parts)


def mask_values(text: str, values: Iterable[tuple[str, str]]) -> tuple[str, list[str]]:
    """``text`` with each ``(name, value)`` replaced by ``[REDACTED:name]``, and the names used."""
    used = []
    for name, value in sorted(values, key=lambda pair: -len(pair[1])):
        if value and value in text:
            text = text.replace(value, f"{MARK[:-1]}:{name}]")
            used.append(name)
    return text, used


def env_files(repo: Path, depth: int = ENV_SEARCH_DEPTH) -> list[Path]:
    """``.env`` and ``.env.*`` files in ``repo`` (examples excluded), ``depth`` levels down."""
    return sorted(files_below(repo, depth, lambda path: _is_env_file(path.name)))


def _is_env_file(name: str) -> bool:
    if name != ".env" and not name.startswith(".env."):
        return False
    return not name.endswith(_EXAMPLE_SUFFIXES)
