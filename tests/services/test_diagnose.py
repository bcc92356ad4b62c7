"""Reading why a start failed from what the service printed."""

from __future__ import annotations

import pytest

from loopd.services.diagnose import Cause, Diagnosis, diagnose, tail

NODE_PORT = """Error: listen EADDRINUSE: address already in use :::3001
    at Server.setupListenHandle [as _listen2] (node:net:1908:16)
"""
PYTHON_PORT = "OSError: [Errno 98] Address already in use\n"
DOCKER_PORT = (
    "docker: Error response from daemon: driver failed programming external connectivity on "
    "endpoint web (89033de5): Bind for 0.0.0.0:8080 failed: port is already allocated\n"
)
NODE_MODULE = "Error: Cannot find module 'express'\nRequire stack:\n  code: 'MODULE_NOT_FOUND',\n"
ESM_PACKAGE = "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'vite' imported from /app/x.mjs\n"
NPM_10 = 'npm error Missing script: "dev"\nnpm error\nnpm error To see a list of scripts, run:\n'
NPM_6 = "npm ERR! missing script: start\n"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (NODE_PORT, Diagnosis(Cause.PORT_IN_USE, port=3001)),
        (PYTHON_PORT, Diagnosis(Cause.PORT_IN_USE)),
        (DOCKER_PORT, Diagnosis(Cause.PORT_IN_USE, port=8080)),
        (NODE_MODULE, Diagnosis(Cause.MISSING_MODULES)),
        (ESM_PACKAGE, Diagnosis(Cause.MISSING_MODULES)),
        (NPM_10, Diagnosis(Cause.MISSING_SCRIPT, script="dev")),
        (NPM_6, Diagnosis(Cause.MISSING_SCRIPT, script="start")),
        ("Traceback ...\nKeyError: 'DATABASE_URL'\n", Diagnosis(Cause.UNKNOWN)),
    ],
)
def test_causes(log: str, expected: Diagnosis) -> None:
    assert diagnose(log) == expected


def test_tail_keeps_the_last_lines() -> None:
    text = "".join(f"line {n}\n" for n in range(100))
    assert tail(text, lines=3) == "line 97\nline 98\nline 99"
    assert tail("x" * 10_000, chars=50) == "x" * 50
