"""A daemon that stays up: file changes run the loop again, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from loopd.commands.demo import _prepare
from tests.integration.sprints import work

BUGGY = 'words = [word for word in re.split(r"[ \\n]+", text) if word]'
FINISHED = "loop finished; watching files for changes"


def _events(repo: Path) -> list[dict[str, Any]]:
    path = repo / ".loopd/demo/events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _wait_for_output(log: Path, text: str, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while log.read_text().count(text) < count:
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)


def test_source_and_vision_edits_run_the_loop_again(tmp_path: Path) -> None:
    repo = _prepare(tmp_path / "demo")
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "loopd", "-C", str(repo), "run", "demo", "--watch"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_output(log, FINISHED, 1)

        # A person re-introduces the tab bug where the loop works (the sprint's
        # worktree): the watch check catches it and the loop runs again, and
        # fixes it from the evidence.
        core = work(repo, "demo") / "tally/core.py"
        assert core.parent.parent != repo
        core.write_text(core.read_text().replace("text.split()", BUGGY.split("= ", 1)[1]))
        _wait_for_output(log, FINISHED, 2)
        text = log.read_text()
        assert "BT-002 regressed" in text
        assert "text.split()" in core.read_text()

        # The vision changes: the planning gates run again.
        vrc1_before = sum(1 for e in _events(repo) if e.get("vrc") == "vrc1")
        vision = work(repo, "demo") / "docs/sprints/demo/VISION.md"
        vision.write_text(vision.read_text() + "\n- Count characters as Unicode code points.\n")
        _wait_for_output(log, FINISHED, 3)
        assert "VISION.md changed: planning runs again" in log.read_text()
        assert sum(1 for e in _events(repo) if e.get("vrc") == "vrc1") == vrc1_before + 1
    finally:
        subprocess.run([sys.executable, "-m", "loopd", "-C", str(repo), "stop", "demo"],
                       check=False, capture_output=True, timeout=60)  # fmt: skip
        daemon.wait(timeout=60)
    triggers = {e["trigger"] for e in _events(repo) if e["type"] == "watch_trigger"}
    assert {"source", "docs"} <= triggers
