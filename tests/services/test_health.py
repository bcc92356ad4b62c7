"""Health probes against real servers: HTTP status, CDP, TCP, commands."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from loopd.services.health import probe
from loopd.services.spec import CdpCheck, CommandCheck, Health, HttpCheck, TcpCheck
from tests.services.conftest import SERVER, free_port

Start = Callable[..., subprocess.Popen[bytes]]


def serve(foreign: Start, *args: str) -> int:
    port = free_port()
    child = foreign(sys.executable, str(SERVER), "--port", str(port), *args)
    assert child.stdout is not None
    while b"listening" not in child.stdout.readline():
        pass
    return port


def look(check: Health, tmp_path: Path) -> tuple[bool, str]:
    seen = probe(check, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    return seen.ok, seen.detail


def test_http_status(foreign: Start, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{serve(foreign)}/"
    assert look(HttpCheck(url), tmp_path) == (True, f"{url} answered 200")
    assert look(HttpCheck(url, None), tmp_path)[0]
    assert look(HttpCheck(url, 204), tmp_path) == (False, f"{url} answered 200, expected 204")


def test_http_refused(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    assert look(HttpCheck(url), tmp_path) == (False, f"{url}: connection refused")


def test_cdp(foreign: Start, tmp_path: Path) -> None:
    browser = f"http://127.0.0.1:{serve(foreign, '--browser', 'HeadlessChrome/130')}"
    assert look(CdpCheck(browser), tmp_path) == (
        True,
        f"{browser}/json/version: HeadlessChrome/130",
    )
    plain = f"http://127.0.0.1:{serve(foreign)}"
    ok, detail = look(CdpCheck(plain), tmp_path)
    assert not ok and "json/version" in detail


def test_tcp_refused(tmp_path: Path) -> None:
    port = free_port()
    assert look(TcpCheck("127.0.0.1", port), tmp_path) == (
        False,
        f"127.0.0.1:{port}: connection refused",
    )


@pytest.mark.parametrize(
    ("command", "ok", "detail"),
    [
        ("test -d .", True, "command `test -d .` exited 0"),
        (
            "echo db is down; exit 2",
            False,
            "command `echo db is down; exit 2` exited 2: db is down",
        ),
    ],
)
def test_command(tmp_path: Path, command: str, ok: bool, detail: str) -> None:
    assert look(CommandCheck(command), tmp_path) == (ok, detail)
