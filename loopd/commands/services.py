"""``loopd services SPRINT [up|down|status]``: a sprint's services by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import click

from loopd.config import load_config
from loopd.services import ServiceManager, ServiceReport, ServiceStatus
from loopd.sprint import Sprint, locate

Action = Literal["up", "down", "status"]
NOTHING = (
    "nothing to start: no services.yaml, compose file, loop-v2 npm script "
    "(dev:api, dev:backend, start:api, dev:frontend, dev) or Makefile serve/run target"
)


def services(*, repo: Path, sprints_root: str, sprint: str, action: Action, as_json: bool) -> int:
    """Start (``up``), stop what loopd started (``down``) or check (``status``) SPRINT's services.

    ``up`` and ``status`` exit 1 when any service is not running, so scripts
    can wait on them; ``down`` exits 0 once everything loopd started is gone.
    """
    found = locate(repo, sprints_root, sprint)
    manager = ServiceManager(found, load_config(found.checkout, found).config)
    if action == "down":
        return _down(manager.stop_all(), as_json)
    report = manager.start_all() if action == "up" else manager.check()
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print(report, found)
    return 0 if report.all_running else 1


def _down(stopped: tuple[str, ...], as_json: bool) -> int:
    if as_json:
        click.echo(json.dumps({"stopped": list(stopped)}, indent=2))
        return 0
    for line in stopped:
        click.echo(line)
    if not stopped:
        click.echo("nothing to stop: loopd has no service of this sprint running")
    return 0


def _print(report: ServiceReport, sprint: Sprint) -> None:
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    if report.orchestration == "none":
        click.echo(NOTHING)
        return
    source = f"  ({sprint.relative(report.source)})" if report.source else ""
    click.echo(f"{report.orchestration}{source}")
    width = max((len(s.name) for s in report.services), default=0)
    for status in report.services:
        _print_status(status, width, sprint)


def _print_status(status: ServiceStatus, width: int, sprint: Sprint) -> None:
    first, _, rest = status.evidence.partition("\n")
    click.echo(f"{status.name:<{width}}  {status.state:<14} {first}")
    indent = " " * (width + 2)
    if rest and not status.up:
        click.echo("\n".join(f"{indent}{line}" for line in rest.splitlines()))
    if status.log is not None:
        click.echo(f"{indent}log: {sprint.relative(status.log)}")
