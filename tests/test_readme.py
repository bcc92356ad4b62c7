"""README.md stays true: the generated reference and the commands CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from loopd.config import reference_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_configuration_reference_matches_the_schema() -> None:
    start = README.index("<!-- config-reference:start")
    body = README[README.index("-->", start) + 4 : README.index("<!-- config-reference:end -->")]
    assert body.strip() == reference_markdown().strip(), (
        "README's configuration reference is stale: regenerate it from "
        "loopd.config.reference_markdown()"
    )


def test_ci_runs_the_readme_test_command() -> None:
    block = re.search(r"```sh\n(.*?)```", _section("Running the tests"), re.S)
    assert block is not None
    test_command = block.group(1).strip().splitlines()[-1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in ci]


def test_every_prompt_name_is_documented() -> None:
    from loopd.prompting import PROMPT_NAMES

    for name in PROMPT_NAMES:
        assert f"`{name}`" in _section("Prompts"), name


def test_the_services_yaml_example_is_valid(repo: Path, sprint_dir: Path) -> None:
    from loopd.config import default_config
    from loopd.services import detect
    from loopd.sprint import locate

    example = re.search(r"```yaml\n(# docs/sprints/<sprint>/services.yaml\n.*?)```", README, re.S)
    assert example is not None
    (sprint_dir / "services.yaml").write_text(example.group(1))
    (repo / "docker-compose.yml").write_text("services:\n  postgres:\n    image: postgres\n")
    plan = detect(locate(repo, "docs/sprints", "s1"), default_config())
    assert [(s.name, s.kind) for s in plan.services] == [
        ("db", "compose"), ("api", "command"), ("cache", "image"),
    ]  # fmt: skip


def test_the_loop_v2_services_yaml_example_is_read_without_a_warning(
    repo: Path, sprint_dir: Path
) -> None:
    from loopd.config import default_config
    from loopd.services import HttpCheck, TcpCheck, detect
    from loopd.sprint import locate

    header = "# docs/sprints/<sprint>/services.yaml, in loop-v2's format\n"
    example = re.search(rf"```yaml\n({re.escape(header)}.*?)```", _section("Services"), re.S)
    assert example is not None
    (sprint_dir / "services.yaml").write_text(example.group(1))
    plan = detect(locate(repo, "docs/sprints", "s1"), default_config())
    assert plan.warnings == ()
    assert [(s.name, s.start, s.health) for s in plan.services] == [
        ("api", "npm run dev:api", HttpCheck("http://localhost:3001/api/health", None, below=400)),
        ("frontend", "cd frontend && npm run dev", HttpCheck("http://localhost:3000/", None, 400)),
        ("postgres", "docker-compose up -d postgres", TcpCheck("localhost", 5432)),
    ]


def test_the_readme_states_the_python_and_node_versions_loopd_needs() -> None:
    import json
    import shutil
    import subprocess
    import tomllib

    from tests.conftest import need

    section = _section("Using loopd on your repo, with Claude Code")
    needed = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert needed.startswith(">=") and f"Python {needed[2:]} or newer" in section
    pinned = re.search(r'VERSION="(.+)"', (ROOT / ".ci" / "install-claude").read_text())
    assert pinned is not None and f"@anthropic-ai/claude-code@{pinned.group(1)}" in section
    npm = shutil.which("npm")
    need(npm is not None, "npm is not installed (bash .ci/install-claude)")
    assert npm is not None
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=True)
    package = Path(root.stdout.strip()) / "@anthropic-ai" / "claude-code" / "package.json"
    data = json.loads(package.read_text()) if package.exists() else {}
    need(data.get("version") == pinned.group(1), f"Claude Code {pinned.group(1)} is not installed")
    engines = data["engines"]["node"]  # ">=22.0.0"
    assert f'"engines": {{"node": "{engines}"}}' in section
    assert f"Node.js {engines[2:].split('.')[0]} or newer" in section
    assert "deb.nodesource.com/setup_22.x" in section and "nvm install 22" in section
