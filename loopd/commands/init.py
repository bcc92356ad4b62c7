"""``loopd init``: scaffold a sprint's approved documents."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from loopd import fsio, gitignore
from loopd.errors import LoopdError
from loopd.sprint import RUNTIME_DIR, sprint_for

SCAFFOLDED = ("VISION.md", "PRD.md")


def _template(name: str, sprint: str) -> str:
    text = resources.files("loopd.scaffold").joinpath(name).read_text(encoding="utf-8")
    return text.replace("{sprint}", sprint)


def init(*, repo: Path, sprints_root: str, sprint: str) -> int:
    """Create the sprint dir and its templates; never overwrite a file."""
    if not repo.is_dir():
        raise LoopdError("repository directory not found", path=repo)
    target = sprint_for(repo, sprints_root, sprint)
    target.dir.mkdir(parents=True, exist_ok=True)
    for name in SCAFFOLDED:
        path = target.dir / name
        if path.exists():
            click.echo(f"kept     {target.relative(path)} (already exists)")
            continue
        fsio.atomic_write(path, _template(name, sprint))
        click.echo(f"created  {target.relative(path)}")
    if gitignore.ensure_entries(target.repo, [f"{RUNTIME_DIR}/"]):
        click.echo(f"added    {RUNTIME_DIR}/ to .gitignore")
    if not any((d / ".git").exists() for d in (target.repo, *target.repo.parents)):
        # Said now, not at the first start: the loop works on a branch of a git repo.
        click.echo(f"note     {target.repo} is not a git repository yet; run: git init")
    click.echo(
        f"\nNext: write {target.relative(target.vision)} and {target.relative(target.prd)}"
        f" (ARCHITECTURE.md is optional), then run: loopd start {sprint}"
    )
    return 0
