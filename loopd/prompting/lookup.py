"""Which file a prompt name resolves to.

Four layers, first hit wins: the sprint's ``prompts/``, the repo's
``.loopd/prompts/``, the repo's ``loop-v2/prompts/`` (where loop-v2 kept its
prompts in a user's repo), then loopd's packaged defaults.  Within one layer
``<name>.md.j2`` (Jinja2) beats ``<name>.md`` (a loop-v2 template).  A
loop-v2 v3 prompt cannot work under loopd and is skipped, with a warning
(see :mod:`loopd.prompting.legacy`).  Nothing is cached: an edited or newly
added file counts at once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from loopd import fsio, resources
from loopd.errors import LoopdError
from loopd.prompting import legacy
from loopd.sprint import RUNTIME_DIR, Sprint

JINJA_SUFFIX = ".md.j2"
LEGACY_SUFFIX = ".md"

Kind = Literal["jinja", "legacy"]
Layer = Literal["sprint", "repo", "loop-v2", "default"]
# loop-v2's $LOOP_ROOT/prompts, as it sits in a repo loop-v2 ran on.
LOOP_V2_PROMPTS = Path("loop-v2") / "prompts"

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
    """The file a prompt name resolved to, and which layer it came from.

    ``warnings`` (``<path>:<line>: ...``) say which v3 files were skipped for
    it, and what loopd appends to a loop-v2 prompt for fix, test-runner or vrc.
    """

    name: str
    path: Path
    kind: Kind
    layer: Layer
    warnings: tuple[str, ...] = ()


def layers(sprint: Sprint | None, repo: Path) -> list[tuple[Layer, Path]]:
    """The lookup directories, highest priority first (missing ones included)."""
    found: list[tuple[Layer, Path]] = []
    if sprint is not None:
        found.append(("sprint", sprint.prompts_dir))
    # .loopd/ (git-ignored) is in the user's checkout, also when the loop works in a worktree.
    checkout = sprint.checkout if sprint is not None else repo
    found.append(("repo", checkout / RUNTIME_DIR / "prompts"))
    found.append(("loop-v2", repo / LOOP_V2_PROMPTS))
    found.append(("default", resources.data_dir("prompts")))
    return found


def find_template(name: str, sprint: Sprint | None, repo: Path) -> TemplateRef:
    """The template that wins for ``name``; LoopdError if the name is unknown."""
    searched = layers(sprint, repo)
    skipped: list[tuple[Path, legacy.V3Marker]] = []
    if _NAME.match(name):
        for layer, directory in searched:
            ref = _in_dir(name, layer, directory, skipped)
            if ref is not None:
                return _with_warnings(ref, skipped, repo)
    if skipped:
        warnings = [legacy.v3_warning(str(shown_path(p, repo)), m, None) for p, m in skipped]
        raise LoopdError(f"no usable template for prompt {name!r}", hint="; ".join(warnings))
    if name in PROMPT_NAMES:
        where = ", ".join(str(d) for _, d in searched)
        raise LoopdError(f"no template for prompt {name!r}", hint=f"searched {where}")
    known = ", ".join((*PROMPT_NAMES, *_extra_names(searched)))
    raise LoopdError(f"unknown prompt name {name!r}", hint=f"known names: {known}")


def _with_warnings(
    ref: TemplateRef, skipped: list[tuple[Path, legacy.V3Marker]], repo: Path
) -> TemplateRef:
    used = str(shown_path(ref.path, repo))
    warnings = [legacy.v3_warning(str(shown_path(p, repo)), m, used) for p, m in skipped]
    if ref.kind == "legacy" and legacy.appends(ref.name):
        warnings.append(legacy.appended_warning(used, ref.name))
    return dataclasses.replace(ref, warnings=tuple(warnings)) if warnings else ref


def list_templates(sprint: Sprint | None, repo: Path) -> list[TemplateRef]:
    """The winning template of every known name, then of any extra names found."""
    names = (*PROMPT_NAMES, *_extra_names(layers(sprint, repo)))
    return [find_template(name, sprint, repo) for name in names]


def shown_path(path: Path, repo: Path) -> Path:
    """``path`` relative to ``repo`` when inside it (as users see it), else absolute."""
    path, repo = path.resolve(), repo.resolve()
    return path.relative_to(repo) if path.is_relative_to(repo) else path


def _in_dir(
    name: str, layer: Layer, directory: Path, skipped: list[tuple[Path, legacy.V3Marker]]
) -> TemplateRef | None:
    """``name``'s template in ``directory``; a v3 prompt there is added to ``skipped``."""
    for suffix, kind in _SUFFIXES:
        path = directory / f"{name}{suffix}"
        if not path.is_file():
            continue
        marker = legacy.v3_marker(fsio.read_text(path)) if kind == "legacy" else None
        if marker is None:
            return TemplateRef(name=name, path=path, kind=kind, layer=layer)
        skipped.append((path, marker))
    return None


def _extra_names(searched: list[tuple[Layer, Path]]) -> list[str]:
    # Partials ("_"-prefixed or in sub-folders) fail _NAME or are not top-level.
    # A name only v3 prompts have is not a prompt loopd can render: left out.
    extra: set[str] = set()
    for layer, directory in searched:
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            stem = _stem(path.name)
            if not stem or not _NAME.match(stem) or stem in PROMPT_NAMES or not path.is_file():
                continue
            if _in_dir(stem, layer, directory, []) is not None:
                extra.add(stem)
    return sorted(extra)


def template_warnings(sprint: Sprint | None, repo: Path) -> list[str]:
    """Every warning about the prompt templates ``run`` would use (for list and doctor)."""
    found = [w for ref in list_templates(sprint, repo) for w in ref.warnings]
    return list(dict.fromkeys([*found, *skipped_templates(sprint, repo)]))


def skipped_templates(sprint: Sprint | None, repo: Path) -> list[str]:
    """A warning for each v3 prompt whose name no usable template has (for list and doctor)."""
    warnings: list[str] = []
    usable = set(PROMPT_NAMES) | set(_extra_names(layers(sprint, repo)))
    for _, directory in layers(sprint, repo):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob(f"*{LEGACY_SUFFIX}")):
            stem = _stem(path.name)
            marker = legacy.v3_marker(fsio.read_text(path)) if stem not in usable else None
            if marker is not None:
                warnings.append(legacy.v3_warning(str(shown_path(path, repo)), marker, None))
    return warnings


def _stem(filename: str) -> str | None:
    for suffix, _ in _SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return None
