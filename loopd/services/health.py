"""Health probes: is a service answering right now?

Each probe is one quick look (no waiting): the caller polls.  HTTP goes
around any configured proxy, since services are local.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

from loopd import proc
from loopd.services.spec import CdpCheck, CommandCheck, Health, HttpCheck, TcpCheck

PROBE_TIMEOUT = 2.0
COMMAND_TIMEOUT = 10.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Probe:
    """One look at a service: healthy or not, and what was seen."""

    ok: bool
    detail: str


def probe(check: Health, *, cwd: Path, env: Mapping[str, str]) -> Probe:
    """Look once at ``check``."""
    if isinstance(check, HttpCheck):
        return _http(check)
    if isinstance(check, TcpCheck):
        return _tcp(check)
    if isinstance(check, CdpCheck):
        return _cdp(check)
    return _command(check, cwd, env)


def _get(url: str) -> tuple[int, bytes]:
    """Status and body of ``url``; an HTTP error status is an answer, not an exception."""
    try:
        with _OPENER.open(url, timeout=PROBE_TIMEOUT) as response:
            return response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _http(check: HttpCheck) -> Probe:
    try:
        status, _ = _get(check.url)
    except (OSError, HTTPException, ValueError) as exc:
        return Probe(False, f"{check.url}: {_reason(exc)}")
    ok = status < check.below if check.status is None else status == check.status
    expected = "" if ok else f", expected {check.status or f'below {check.below}'}"
    return Probe(ok, f"{check.url} answered {status}{expected}")


def _tcp(check: TcpCheck) -> Probe:
    where = f"{check.host}:{check.port}"
    try:
        with socket.create_connection((check.host, check.port), timeout=PROBE_TIMEOUT):
            return Probe(True, f"{where} accepts connections")
    except OSError as exc:
        return Probe(False, f"{where}: {_reason(exc)}")


def _cdp(check: CdpCheck) -> Probe:
    try:
        status, body = _get(check.version_url)
        browser = json.loads(body).get("Browser") if status == 200 else None
    except (OSError, HTTPException, ValueError, AttributeError) as exc:
        return Probe(False, f"{check.version_url}: {_reason(exc)}")
    if not browser:
        return Probe(False, f"{check.version_url} answered {status} without a Browser field")
    return Probe(True, f"{check.version_url}: {browser}")


def _command(check: CommandCheck, cwd: Path, env: Mapping[str, str]) -> Probe:
    try:
        done = proc.run(["bash", "-c", check.command], cwd=cwd, env=env, timeout=COMMAND_TIMEOUT)
    except OSError as exc:
        return Probe(False, f"{check}: {_reason(exc)}")
    if done.timed_out:
        return Probe(False, f"{check} timed out after {COMMAND_TIMEOUT:g}s")
    tail = done.output.strip().splitlines()[-1:] or [""]
    verdict = "exited 0" if done.ok else f"exited {done.returncode}"
    return Probe(done.ok, f"{check} {verdict}{': ' + tail[0] if tail[0] else ''}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc.reason, str):
        return _reason(exc.reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
