"""Which file a prompt name resolves to.

Three layers, first hit wins: the sprint's ``prompts/``, the repo's
``.loopd/prompts/``, then loopd's packaged defaults.  Within one layer
``<name>.md.j2`` (Jinja2) beats ``<name>.md`` (a loop-v2 template, used as
is).  Nothing is cached: an edited or newly added file counts at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from loopd import resources
from loopd.errors import LoopdError
from loopd.sprint import RUNTIME_DIR, Sprint

JINJA_SUFFIX = ".md.j2"
LEGACY_SUFFIX = ".md"

Kind = Literal["jinja", "legacy"]
Layer = Literal["sprint", "repo", "default"]

PROMPT_NAMES: tuple[str, ...] = (
    "vrc",
    "plan",
    "verify-blockers",
    "craap",
    "clarity",
    "validate",
    "connect",
    "tidy",
    "preflight",
    "service-readiness",
    "fix-service",
    "implement",
    "beta-plan",
    "test-runner",
    "fix",
    "discover-value",
    "discover",
)

# LOOPD_ROLE per prompt (DESIGN.md "Agent contract").  test-runner's role is
# "test"; regression and spot checks run the same prompt as "regression".
ROLE_FOR_PROMPT: dict[str, str] = {
    "vrc": "vrc",
    "plan": "plan",
    "verify-blockers": "plan",
    "craap": "gate",
    "clarity": "gate",
    "validate": "gate",
    "connect": "gate",
    "tidy": "gate",
    "preflight": "gate",
    "service-readiness": "service",
    "fix-service": "service",
    "implement": "implement",
    "beta-plan": "plan",
    "test-runner": "test",
    "fix": "fix",
    "discover-value": "discover",
    "discover": "discover",
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_SUFFIXES: tuple[tuple[str, Kind], ...] = ((JINJA_SUFFIX, "jinja"), (LEGACY_SUFFIX, "legacy"))


@dataclass(frozen=True)
class TemplateRef:
    """The file a prompt name resolved to, and which layer it came from."""

    name: str
    path: Path
    kind: Kind
    layer: Layer


def layers(sprint: Sprint | None, repo: Path) -> list[tuple[Layer, Path]]:
    """The lookup directories, highest priority first (missing ones included)."""
    found: list[tuple[Layer, Path]] = []
    if sprint is not None:
        found.append(("sprint", sprint.prompts_dir))
    found.append(("repo", repo / RUNTIME_DIR / "prompts"))
    found.append(("default", resources.data_dir("prompts")))
    return found


def find_template(name: str, sprint: Sprint | None, repo: Path) -> TemplateRef:
    """The template that wins for ``name``; LoopdError if the name is unknown."""
    searched = layers(sprint, repo)
    if _NAME.match(name):
        for layer, directory in searched:
            ref = _in_dir(name, layer, directory)
            if ref is not None:
                return ref
    if name in PROMPT_NAMES:
        where = ", ".join(str(d) for _, d in searched)
        raise LoopdError(f"no template for prompt {name!r}", hint=f"searched {where}")
    known = ", ".join((*PROMPT_NAMES, *_extra_names(searched)))
    raise LoopdError(f"unknown prompt name {name!r}", hint=f"known names: {known}")


def list_templates(sprint: Sprint | None, repo: Path) -> list[TemplateRef]:
    """The winning template of every known name, then of any extra names found."""
    names = (*PROMPT_NAMES, *_extra_names(layers(sprint, repo)))
    return [find_template(name, sprint, repo) for name in names]


def shown_path(path: Path, repo: Path) -> Path:
    """``path`` relative to ``repo`` when inside it (as users see it), else absolute."""
    path, repo = path.resolve(), repo.resolve()
    return path.relative_to(repo) if path.is_relative_to(repo) else path


def _in_dir(name: str, layer: Layer, directory: Path) -> TemplateRef | None:
    for suffix, kind in _SUFFIXES:
        path = directory / f"{name}{suffix}"
        if path.is_file():
            return TemplateRef(name=name, path=path, kind=kind, layer=layer)
    return None


def _extra_names(searched: list[tuple[Layer, Path]]) -> list[str]:
    # Partials ("_"-prefixed or in sub-folders) fail _NAME or are not top-level.
    extra: set[str] = set()
    for _, directory in searched:
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            stem = _stem(path.name)
            if stem and _NAME.match(stem) and path.is_file():
                extra.add(stem)
    return sorted(extra - set(PROMPT_NAMES))


def _stem(filename: str) -> str | None:
    for suffix, _ in _SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return None
