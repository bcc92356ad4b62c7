"""``loopd doctor``: is everything loopd needs here, and how to fix what is not."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from loopd import dockerio, proc
from loopd import sprint as sprints
from loopd.agents.backends import readiness as agent_readiness
from loopd.config import Config, load_config
from loopd.errors import LoopdError
from loopd.sprint_check import Check, SprintReport, sprint_report


def _version_of(binary: str, *args: str) -> tuple[bool, str]:
    path = shutil.which(binary)
    if path is None:
        return False, f"{binary}: not on PATH"
    try:
        done = proc.run([path, *args], timeout=10)
    except OSError as exc:
        return False, f"{path}: {exc.strerror}"
    first = (done.stdout or done.stderr).strip().splitlines()
    return done.ok, f"{path} ({first[0] if first else 'no version output'})"


def _tool(name: str, fix: str, *args: str) -> Check:
    ok, detail = _version_of(name, *args)
    return Check(name, True, ok, detail, "" if ok else fix)


def _git_repo(repo: Path) -> Check:
    done = proc.run(["git", "-C", str(repo), "rev-parse", "--show-toplevel"], timeout=10)
    ok = done.ok
    detail = done.stdout.strip() if ok else f"{repo} is not inside a git work tree"
    return Check("git repository", True, ok, detail, "" if ok else "run: git init")


def _agent(config: Config, repo: Path, found: sprints.Sprint | None) -> Check:
    """The very probe ``start``/``run`` make before anything (installed, logged in)."""
    ready = agent_readiness(config, repo, os.environ, found)
    return Check(f"agent ({config.agent.backend})", True, ready.ok, ready.detail, ready.fix)


def _docker() -> list[Check]:
    ok, detail = _version_of("docker", "--version")
    client = Check("docker client", False, ok, detail, "" if ok else "apt-get install docker.io")
    if not ok:
        return [client]
    engine = dockerio.engine_status()
    fix = "" if engine.reachable else "start the engine: dockerd & (or systemctl start docker)"
    return [client, Check("docker engine", False, engine.reachable, engine.detail, fix)]


def _sprint(repo: Path, sprints_root: str, name: str, config: Config | None) -> SprintReport:
    try:
        found = sprints.locate(repo, sprints_root, name)
    except LoopdError as exc:
        fix = exc.hint or f"loopd init {name}"
        return SprintReport([Check(f"sprint {name}", True, False, exc.located, fix)], [])
    return sprint_report(found, config)


def _config_check(repo: Path, sprint_obj: sprints.Sprint | None) -> tuple[Check, Config | None]:
    try:
        loaded = load_config(repo, sprint_obj)
    except LoopdError as exc:
        return Check("config", True, False, exc.located, exc.hint or "fix the file named"), None
    detail = ", ".join(loaded.sources) or "defaults"
    if loaded.warnings:
        detail += f"; {len(loaded.warnings)} warning(s): " + "; ".join(loaded.warnings)
    return Check("config", True, True, detail), loaded.config


def run_checks(repo: Path, sprints_root: str, sprint: str | None) -> SprintReport:
    """Every check, in the order they are shown, and the warnings of the sprint's files."""
    checks = [
        _tool("git", "apt-get install git", "--version"),
        _tool("bash", "apt-get install bash", "--version"),
        _git_repo(repo),
    ]
    sprint_obj = _sprint_or_none(repo, sprints_root, sprint)
    config_check, config = _config_check(repo, sprint_obj)
    checks.append(config_check)
    if config is not None:
        checks.append(_agent(config, repo, sprint_obj))
    checks += _docker()
    if sprint is None:
        return SprintReport(checks, [])
    found = _sprint(repo, sprints_root, sprint, config)
    return SprintReport(checks + found.checks, found.warnings)


def _sprint_or_none(repo: Path, sprints_root: str, name: str | None) -> sprints.Sprint | None:
    if name is None:
        return None
    found = sprints.sprint_for(repo, sprints_root, name)
    return found if found.dir.is_dir() else None


def _status(check: Check) -> str:
    if check.ok:
        return "ok"
    return "MISSING" if check.required else "warning"


def _print_table(checks: list[Check], emit: Callable[[Table], None]) -> None:
    table = Table(show_edge=False, header_style="bold")
    for column in ("check", "status", "detail", "how to fix"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(check.name, _status(check), check.detail, check.fix)
    emit(table)


def doctor(*, repo: Path, sprints_root: str, sprint: str | None, as_json: bool) -> int:
    """Print the checks; exit 1 when something required is missing."""
    report = run_checks(repo, sprints_root, sprint)
    checks = report.checks
    failed = [c for c in checks if c.required and not c.ok]
    if as_json:
        rows = [asdict(c) | {"status": _status(c)} for c in checks]
        payload = {"ok": not failed, "checks": rows, "warnings": report.warnings}
        click.echo(json.dumps(payload, indent=2))
    else:
        _print_table(checks, Console(soft_wrap=False).print)
        # One line each, outside the table, so an editor can jump to file:line.
        if report.warnings:
            click.echo(f"\n{len(report.warnings)} warning(s): loopd reads these and goes on")
        for warning in report.warnings:
            click.echo(f"  {warning}")
        click.echo(
            "\nall required checks passed"
            if not failed
            else f"\n{len(failed)} required check(s) failed"
        )
    return 1 if failed else 0
