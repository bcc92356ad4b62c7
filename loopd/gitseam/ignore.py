"""The .gitignore entries every loop repo needs: secrets and loopd's runtime directory.

An entry is added only when the repository's own ``.gitignore`` does not
already decide that path the same way, as git itself judges it: ``.env*``
followed by ``!.env.example`` already covers ``.env.*`` and the exception, and
appending ``.env.*`` after them would ignore ``.env.example`` again.  When an
appended entry overrides an earlier exception (``.env`` then ``!.env.example``,
then ``.env.*`` appended), the exception is appended again after it, in the
equivalent ``**/`` form (the plain form is already in the file).
"""

from __future__ import annotations

import re
from pathlib import Path

from loopd import gitignore
from loopd.gitseam.repo import call, opened

# (entry, a path it is meant to decide, whether that path should be ignored)
ENTRIES: tuple[tuple[str, str, bool], ...] = (
    (".env", ".env", True),
    (".env.*", ".env.local", True),
    ("!.env.example", ".env.example", False),
    ("*.pem", "server.pem", True),
    ("*.key", "server.key", True),
    ("*.p12", "keystore.p12", True),
    ("*.pfx", "keystore.pfx", True),
    ("id_rsa*", "id_rsa", True),
    ("id_ed25519*", "id_ed25519", True),
    (".loopd/", ".loopd/lock", True),
)

# One line of `git check-ignore -v -n`: source:line:pattern<TAB>path (all empty: no match).
_VERDICT = re.compile(r"(?P<source>.*?):(?P<line>\d*):(?P<pattern>.*)\t(?P<path>.*)")


def ensure_gitignore(path: Path) -> list[str]:
    """Append the missing entries to ``path/.gitignore`` (bytes kept); return those added."""
    added = gitignore.ensure_entries(path, _undecided(path))
    if added:
        added += gitignore.ensure_entries(path, [_anywhere(e) for e in _undecided(path)])
    return added


def _undecided(path: Path) -> list[str]:
    """The entries whose probe path .gitignore does not (yet) decide as wanted."""
    with opened(path) as repo:
        probes = [probe for _, probe, _ in ENTRIES]
        _, out, _ = call(repo, "check-ignore", "--no-index", "-v", "-n", "--", *probes)
    verdicts = _verdicts(out)
    return [entry for entry, probe, want in ENTRIES if verdicts.get(probe) != want]


def _anywhere(entry: str) -> str:
    negated = entry.startswith("!")
    return ("!" if negated else "") + "**/" + entry.removeprefix("!")


def _verdicts(out: str) -> dict[str, bool]:
    """Probe path -> ignored?, counting only what the top-level .gitignore decides."""
    verdicts: dict[str, bool] = {}
    for line in out.splitlines():
        match = _VERDICT.fullmatch(line)
        if match and match["source"] == ".gitignore":
            verdicts[match["path"]] = not match["pattern"].startswith("!")
    return verdicts
