from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loopd import fsio
from loopd.errors import LoopdError


def test_read_keeps_crlf_and_unicode(tmp_path: Path) -> None:
    path = tmp_path / "f.md"
    path.write_bytes("a\r\nb ✓\n".encode())
    assert fsio.read_text(path) == "a\r\nb ✓\n"


def test_read_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(LoopdError, match="file not found") as missing:
        fsio.read_text(tmp_path / "nope.md")
    assert str(tmp_path / "nope.md") in str(missing.value)
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"ok\n\xff\xfe")
    with pytest.raises(LoopdError, match="not valid UTF-8"):
        fsio.read_text(bad)


def test_atomic_write_replaces_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("old")
    path.chmod(0o640)
    fsio.atomic_write(path, "new\r\n")
    assert path.read_bytes() == b"new\r\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["plan.md"]


def test_atomic_write_creates_parents(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "state.md"
    fsio.atomic_write(path, "x")
    assert path.read_text() == "x"


def test_lock_of_a_killed_holder_does_not_block(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock,sys,time; l=filelock.FileLock(sys.argv[1]); l.acquire(); "
            "print('held', flush=True); time.sleep(60)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(LoopdError, match="timed out"), fsio.locked(lock, timeout=0.2):
        pass
    holder.kill()
    holder.wait()
    with fsio.locked(lock, timeout=0.5):
        assert lock.exists()


def test_interrupted_write_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.md"
    path.write_text("old content\n")

    class Boom(Exception):
        pass

    def failing_fsync(fd: int) -> None:
        raise Boom  # the disk fails after the temp file is written

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(Boom):
        fsio.atomic_write(path, "new content\n")
    assert path.read_text() == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["state.md"]


def test_own_write_is_known_until_someone_else_changes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "LOOP_STATE.md"
    assert not fsio.is_own_write(path)
    fsio.atomic_write(path, "step: implement\r\n")
    assert fsio.is_own_write(path)
    assert fsio.is_own_write(tmp_path / "." / "LOOP_STATE.md")
    path.write_text("step: tests\n")  # a person's edit
    assert not fsio.is_own_write(path)
    fsio.atomic_write(path, "step: fix\n")
    assert fsio.is_own_write(path)
    path.unlink()
    assert not fsio.is_own_write(path)


def test_own_writes_remember_a_bounded_number_of_files(tmp_path: Path) -> None:
    first = tmp_path / "first.md"
    fsio.atomic_write(first, "x")
    for n in range(fsio.OWN_WRITES_KEPT):
        fsio.atomic_write(tmp_path / f"{n}.md", "y")
    assert not fsio.is_own_write(first)
    assert fsio.is_own_write(tmp_path / "0.md")
