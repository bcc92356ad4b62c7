"""Run the real CLI entry point (with its top-level handler) in-process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from loopd.main import main


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_cli(
    repo: Path | None, *args: str, env: Mapping[str, str | None] | None = None
) -> CliResult:
    """``loopd [-C repo] args...`` through :func:`loopd.main.main`, as a user runs it.

    ``env`` is set for the call; a None value unsets that variable.
    """
    argv = (["-C", str(repo)] if repo is not None else []) + list(args)
    with CliRunner().isolation(env=env) as (out, err, _):
        code = main(argv)
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())
