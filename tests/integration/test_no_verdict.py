"""A test-runner agent that hangs gives no verdict: through the CLI, never FAIL, [B] or a fixer."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import git
from tests.integration.sprints import install, loopd, prompts, text

HANGS = {
    "rules": [
        {
            "name": "runner",
            "when": {"prompt": "test-runner"},
            "do": [{"print": "Opening the help page..."}, {"sleep": 30}],
        },
        {
            "name": "final-vrc",
            "when": {"prompt": "vrc", "vrc": "final"},
            "do": [{"print": "VISION: DELIVERED"}],
        },
        {"name": "anything-else", "do": [{"print": "ok"}]},
    ]
}
ENV = {
    "LOOPD_AGENT_REPLAY_SCRIPT": ".loopd/replay-hangs.yaml",
    "LOOPD_TIMEOUTS_TEST": "1",
    "LOOPD_TIMEOUTS_KILL_GRACE": "0.2",
}


def hanging_runner(repo: Path, agent_tests: int) -> None:
    sprint = install(repo, "wordcount")
    tests = ['- [ ] **BT-001**: three words count as 3 *(cmd: "python3 check_wc.py")*']
    tests += [f"- [ ] **BT-10{n}**: an agent checks page {n}" for n in range(1, agent_tests + 1)]
    (sprint / "BETA_TEST_PLAN_v1.md").write_text("# Beta test plan\n\n" + "\n".join(tests) + "\n")
    (repo / ".loopd" / "replay-hangs.yaml").write_text(yaml.safe_dump(HANGS, sort_keys=False))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "agent tests whose runner hangs")


def test_a_hanging_test_runner_hands_its_test_to_a_human(repo: Path) -> None:
    hanging_runner(repo, agent_tests=1)

    done = loopd(repo, "run", "s1", "--once", env=ENV)

    assert done.returncode == 2, done.stdout + done.stderr  # nothing pending, one for a person
    beta = text(repo, "BETA_TEST_PLAN_v1.md")
    assert "[x] **BT-001**" in beta and "[U] **BT-101**" in beta
    assert "BT-101" not in text(repo, "IMPLEMENTATION_PLAN.md")  # no FIX task
    assert "fix" not in prompts(repo)
    assert prompts(repo).count("test-runner") == 2  # retries.verdictless: 1
    assert "BT-101 needs a human, marked [U]" in done.stdout
    assert "killed at its timeout after 1 s" in done.stdout


def test_a_test_runner_hanging_on_two_tests_in_a_row_stops_the_loop(repo: Path) -> None:
    hanging_runner(repo, agent_tests=3)

    done = loopd(repo, "run", "s1", "--once", env={**ENV, "LOOPD_RETRIES_VERDICTLESS": "0"})

    assert done.returncode == 1, done.stdout + done.stderr
    assert "gave no verdict on 2 tests in a row, the last BT-102" in done.stdout
    assert "this is the agent, not the tests" in done.stdout
    beta = text(repo, "BETA_TEST_PLAN_v1.md")
    assert "[U] **BT-101**" in beta and "[ ] **BT-102**" in beta and "[ ] **BT-103**" in beta
    assert "fix" not in prompts(repo) and "vrc:final" not in prompts(repo)
