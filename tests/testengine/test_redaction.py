"""A secret-named variable loop-config.sh exported never reaches evidence, events or the plan."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from loopd.config import FrozenMap
from loopd.testengine import EvidenceTestEngine
from tests.testengine.support import config_for, context, make_project
from tests.testengine.test_rounds import evidence_files, plan_of

# A shape no token pattern knows (built at run time: no scanner flags this file).
CUSTOM = "zz" + "custom" + "-q8w7e6r5t4y3"


def test_an_exported_secret_is_masked_in_everything_the_test_engine_stores(
    repo: Path, sprint_dir: Path
) -> None:
    leak = "echo calling with $ACME_API_TOKEN; exit 1"
    project = make_project(repo, sprint_dir, plan_of([f'- [ ] **BT-001**: t *(cmd: "{leak}")*']))
    project.rules([{"name": "fix", "when": {"prompt": "fix"}, "do": [{"print": "fixed"}]}])
    config = config_for(project, limits__max_test_fix_attempts=1)
    config = dataclasses.replace(config, exports=FrozenMap({"ACME_API_TOKEN": CUSTOM}))

    EvidenceTestEngine().iteration(context(project, config))

    runs = project.sprint.runtime / "runs"
    stored = [p.read_text() for p in runs.rglob("*") if p.is_file()]
    events = project.sprint.runtime / "events.jsonl"
    stored += [project.sprint.plan.read_text(), events.read_text()]
    assert stored and not [text for text in stored if CUSTOM in text]
    assert "[REDACTED:ACME_API_TOKEN]" in json.dumps(evidence_files(project))
