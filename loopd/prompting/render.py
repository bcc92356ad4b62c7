"""Turn a prompt name and a context into the text an agent receives.

A fresh Jinja2 Environment per render: templates are small and agent calls
take minutes, and a cached Environment would keep serving a template after a
higher-priority file appears.  Includes resolve through the same
layers, so a partial can be overridden like a prompt.  A loop-v2 prompt
for fix, test-runner or the final vrc gets loopd's section appended (see
:mod:`loopd.prompting.legacy`).
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2

from loopd import fsio
from loopd.errors import LoopdError
from loopd.prompting import legacy
from loopd.prompting.context import PromptContext
from loopd.prompting.lookup import TemplateRef, find_template, layers, shown_path
from loopd.sprint import Sprint

_BACKTICKS = re.compile(r"`{3,}")


@dataclass(frozen=True)
class Rendered:
    """A rendered prompt and the warnings about the template it came from."""

    text: str
    warnings: tuple[str, ...] = ()


def render(name: str, context: PromptContext, sprint: Sprint | None, repo: Path) -> str:
    """Render prompt ``name``; a broken template raises LoopdError at its file:line."""
    return render_prompt(name, context, sprint, repo).text


def render_prompt(name: str, context: PromptContext, sprint: Sprint | None, repo: Path) -> Rendered:
    """Render prompt ``name``, with the warnings its lookup gave (v3 files skipped ...)."""
    ref = find_template(name, sprint, repo)
    dirs = [directory for _, directory in layers(sprint, repo)]
    if ref.kind == "jinja":
        return Rendered(_render_jinja(ref, context, dirs, repo), ref.warnings)
    text = render_legacy(fsio.read_text(ref.path), context)
    partial = legacy.appends(name)
    if partial is not None and (name != "vrc" or context.vrc == "final"):
        added = _render_jinja(_partial_ref(name, partial, dirs), context, dirs, repo)
        text = text.rstrip("\n") + "\n\n" + added
    return Rendered(text, ref.warnings)


def render_legacy(text: str, context: PromptContext) -> str:
    """A loop-v2 ``.md`` prompt: only ``{SPRINT}`` and ``{SPRINT_DIR}`` are replaced."""
    return legacy.substitute(text, context.sprint, context.sprint_dir)


def _partial_ref(name: str, partial: str, dirs: list[Path]) -> TemplateRef:
    """The appended partial as a template of the first layer that has it."""
    path = next((d / partial for d in dirs if (d / partial).is_file()), dirs[-1] / partial)
    return TemplateRef(name=name, path=path, kind="jinja", layer="default")


def fenced(text: str, info: str = "") -> str:
    """``text`` in a Markdown code fence longer than any backtick run inside it."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{fence}{info}\n{body}{fence}"


def environment(dirs: list[Path]) -> jinja2.Environment:
    """The Environment templates render in: strict, Markdown-friendly whitespace."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        cache_size=0,
    )
    env.filters["fenced"] = fenced
    return env


def _render_jinja(ref: TemplateRef, context: PromptContext, dirs: list[Path], repo: Path) -> str:
    env = environment(dirs)
    try:
        template = env.get_template(_template_name(ref.path, dirs))
        return template.render(context.variables())
    except jinja2.TemplateSyntaxError as exc:
        filename = exc.filename or str(ref.path)
        raise _located(exc.message or str(exc), filename, exc.lineno, repo) from None
    except Exception as exc:
        where = _template_frame(exc, dirs)
        if where is None:
            raise
        raise _located(_message(exc), where[0], where[1], repo) from None


def _template_name(path: Path, dirs: list[Path]) -> str:
    """``path`` as the loader names it: relative to its layer (a partial sits in a sub-folder)."""
    for directory in dirs:
        if path.is_relative_to(directory):
            return path.relative_to(directory).as_posix()
    return path.name


def _message(exc: Exception) -> str:
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"included template {exc.name!r} not found in any prompts directory"
    if isinstance(exc, jinja2.TemplateError):
        return exc.message or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _template_frame(exc: BaseException, dirs: list[Path]) -> tuple[str, int] | None:
    # Jinja rewrites tracebacks so template code shows as frames of the
    # template file at the template's line; the innermost one is the culprit.
    roots = [d.resolve() for d in dirs]
    where = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if any(Path(filename).resolve().is_relative_to(root) for root in roots):
            where = (filename, lineno)
    return where


def _located(message: str, filename: str, line: int, repo: Path) -> LoopdError:
    return LoopdError(message, path=shown_path(Path(filename), repo), line=line)
