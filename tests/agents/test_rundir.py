"""Run-directory files: numbered, named after role and id, never overwritten."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from loopd.agents import rundir


def test_numbers_continue_after_what_is_already_there(tmp_path: Path) -> None:
    (tmp_path / "007-test-BT-001.out").write_text("old")
    files = rundir.allocate(tmp_path, "fix", "FIX BT/001", "prompt")
    assert files.prompt.name == "008-fix-FIX-BT-001.prompt.md"
    assert files.output.name == "008-fix-FIX-BT-001.out"
    assert files.meta.name == "008-fix-FIX-BT-001.json"
    assert files.prompt.read_text() == "prompt"
    assert (tmp_path / "007-test-BT-001.out").read_text() == "old"


def test_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "x.out"
    rundir.write_new(path, "first")
    with pytest.raises(FileExistsError):
        rundir.write_new(path, "second")
    assert path.read_text() == "first"


def _allocate_many(run_dir: str, worker: int) -> list[str]:
    return [
        rundir.allocate(Path(run_dir), "test", f"w{worker}", "p").prompt.name for _ in range(10)
    ]


def test_two_processes_sharing_a_run_dir_never_take_the_same_number(tmp_path: Path) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        names = pool.starmap(_allocate_many, [(str(tmp_path), worker) for worker in range(4)])
    numbers = [name.split("-", 1)[0] for batch in names for name in batch]
    assert sorted(numbers) == [f"{n:03d}" for n in range(1, 41)]
