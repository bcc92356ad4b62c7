"""loopd status shows the sprint's last service report: a failure is never hidden."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import run_cli

CRASHES = """services:
  api:
    start: python3 crash.py
    health: {tcp: "127.0.0.1:1"}
    timeout: 2
"""


def test_a_failed_service_shows_in_status(repo: Path, sprint_dir: Path) -> None:
    (sprint_dir / "services.yaml").write_text(CRASHES)
    (repo / "crash.py").write_text("import sys\nprint('boom: no config')\nsys.exit(3)\n")
    assert run_cli(repo, "services", "s1", "up").code == 1
    text = run_cli(repo, "status", "s1").out
    line = next(row for row in text.splitlines() if row.startswith("service api"))
    assert "failed at " in line
    data = json.loads(run_cli(repo, "status", "s1", "--json").out)
    (api,) = data["services"]
    assert api["state"] == "failed" and "boom: no config" in api["evidence"]


def test_no_report_no_service_rows(repo: Path, sprint_dir: Path) -> None:
    data = json.loads(run_cli(repo, "status", "s1", "--json").out)
    assert data["services"] == []
