"""``loopd prompts list|show|render``: see which template wins and what an agent is sent."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from loopd import fsio
from loopd.checklist import Checklist, DocKind, Item
from loopd.config import load_config
from loopd.errors import LoopdError
from loopd.prompting import (
    ROLE_FOR_PROMPT,
    PromptContext,
    TemplateRef,
    as_task,
    as_test,
    find_template,
    list_templates,
    related_tasks,
    render_prompt,
    template_warnings,
)
from loopd.prompting.context import VrcKind
from loopd.prompting.lookup import shown_path
from loopd.sprint import Sprint, locate

MAX_IDS_SHOWN = 12
GATE_PROMPTS = ("craap", "clarity", "validate", "connect", "tidy", "preflight")


def prompts_list(*, repo: Path, sprints_root: str, sprint: str | None, as_json: bool) -> int:
    """Print each prompt name with the template file and layer that win the lookup."""
    found = _sprint(repo, sprints_root, sprint)
    refs = list_templates(found, repo)
    _warn(template_warnings(found, repo))
    if as_json:
        click.echo(json.dumps([_as_dict(ref, repo) for ref in refs], indent=2))
        return 0
    width = max(len(ref.name) for ref in refs)
    for ref in refs:
        click.echo(
            f"{ref.name:<{width}}  {ref.layer:<7}  {ref.kind:<6}  {shown_path(ref.path, repo)}"
        )
    return 0


def prompts_show(*, repo: Path, sprints_root: str, name: str, sprint: str | None) -> int:
    """Print the source of the template that wins for ``name`` (pipe it into an override)."""
    ref = find_template(name, _sprint(repo, sprints_root, sprint), repo)
    click.echo(fsio.read_text(ref.path), nl=False)
    return 0


def prompts_render(
    *,
    repo: Path,
    sprints_root: str,
    name: str,
    sprint: str,
    task: str | None,
    test: str | None,
    vrc: VrcKind | None = None,
) -> int:
    """Render ``name`` with the sprint's live plan, test plan and configuration."""
    found = locate(repo, sprints_root, sprint)
    context = live_context(found, name, task=task, test=test, vrc=vrc)
    rendered = render_prompt(name, context, found, found.repo)
    _warn(list(rendered.warnings))
    click.echo(rendered.text, nl=False)
    return 0


def _warn(warnings: list[str]) -> None:
    for warning in dict.fromkeys(warnings):
        click.echo(f"loopd: warning: {warning}", err=True)


def live_context(
    sprint: Sprint,
    name: str,
    *,
    task: str | None = None,
    test: str | None = None,
    vrc: VrcKind | None = None,
) -> PromptContext:
    """The context loopd would build now: items from the checklists, preamble and limits.

    Evidence, attempts and peers come from a failing round, so they stay empty.
    """
    loaded = load_config(sprint.checkout, sprint)
    for warning in loaded.warnings:
        click.echo(f"loopd: warning: {warning}", err=True)
    plan = Checklist.load(sprint.plan, DocKind.PLAN)
    test_item = _item(Checklist.load(sprint.beta_plan, DocKind.TEST_PLAN), test, "test")
    task_item = _item(plan, task, "task")
    return PromptContext.for_sprint(
        sprint,
        task=as_task(task_item) if task_item else None,
        test=as_test(test_item) if test_item else None,
        related_tasks=related_tasks(plan.items, test) if test else (),
        preamble=loaded.config.tests.test_runner_preamble,
        vrc=vrc,
        gate=name if name in GATE_PROMPTS else None,
        limits=dataclasses.asdict(loaded.config.limits),
    )


def _item(checklist: Checklist, item_id: str | None, what: str) -> Item | None:
    if item_id is None:
        return None
    item = checklist.get(item_id)
    if item is None:
        items = checklist.tasks() if what == "task" else checklist.tests()
        known = ", ".join(i.id for i in items[:MAX_IDS_SHOWN])
        more = ", ..." if len(items) > MAX_IDS_SHOWN else ""
        hint = f"known: {known}{more}" if items else f"the file has no {what}s"
        raise LoopdError(f"no {what} with ID {item_id!r}", path=checklist.path, hint=hint)
    return item


def _sprint(repo: Path, sprints_root: str, name: str | None) -> Sprint | None:
    return locate(repo, sprints_root, name) if name is not None else None


def _as_dict(ref: TemplateRef, repo: Path) -> dict[str, str | list[str]]:
    return {
        "name": ref.name,
        "layer": ref.layer,
        "kind": ref.kind,
        "path": str(shown_path(ref.path, repo)),
        "role": ROLE_FOR_PROMPT.get(ref.name, ""),
        "warnings": list(ref.warnings),
    }
