"""The README's quick start, from a clean copy of the tree into a fresh venv."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README's quick start has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files git would ship (tracked and new, not ignored), nothing else."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    target = tmp_path_factory.mktemp("clean") / "loopd"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_quick_start_works_in_a_fresh_venv(clean_copy: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    path = f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin"
    env = {"PATH": path, "HOME": str(tmp_path), "VIRTUAL_ENV": str(venv)}
    for command in _quick_start_commands():
        done = subprocess.run(
            ["bash", "-c", command],
            check=False,
            cwd=clean_copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    listed = subprocess.run(
        [str(venv / "bin" / "loopd"), "prompts", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The installed package finds its own prompts, not the source tree's.
    assert "site-packages/loopd/_data/prompts/fix.md.j2" in listed
