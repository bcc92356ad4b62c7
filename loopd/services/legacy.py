"""loop-v2's services without a services file: its npm scripts (lib/services.sh) and Makefile.

npm ("v1"): the backend is the first of the root ``package.json`` scripts
``dev:api``, ``dev:backend``, ``start:api``, checked on
``http://localhost:<backend_port><backend_health>`` for 30 s; the frontend is
``npm run dev`` in ``frontend/``, else the script ``dev:frontend``, else
``dev``, checked on ``<frontend_port><frontend_health>`` for 20 s.  No ``PORT``
is injected: the app listens where its own code says.  A browser (CDP on
``browser_port``) only when the vision needs one.

Makefile: a ``serve:`` target, else ``run:``, started in the background
(``make serve &``), which loop-v2 never checked.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

from loopd import fsio
from loopd.config import Config
from loopd.errors import LoopdError
from loopd.services.spec import CdpCheck, HttpCheck, ServicePlan, ServiceSpec, Unconfigured
from loopd.sprint import Sprint

BACKEND_SCRIPTS = ("dev:api", "dev:backend", "start:api")
FRONTEND_SCRIPTS = ("dev:frontend", "dev")
# loop-v2's fixed waits (lib/services.sh): 30 s for the backend, 20 s for the frontend.
BACKEND_TIMEOUT = 30.0
FRONTEND_TIMEOUT = 20.0
MAKE_TARGETS = ("serve", "run")
MAKE_UNCHECKED = (
    "a Makefile target has no port to check: loopd starts it in the background but never "
    "sees it healthy (loop-v2 did not check it); declare it in services.yaml with a port"
)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Words in VISION.md that mean the tests drive a browser (loop-v2 checked CDP only then).
BROWSER_WORDS = re.compile(r"\b(browser|playwright|puppeteer|selenium|cdp|chrom(e|ium))\b", re.I)


def npm(sprint: Sprint, config: Config) -> ServicePlan | None:
    """loop-v2's legacy npm backend and frontend, or None when there is neither."""
    package = sprint.repo / "package.json"
    scripts = _scripts(package) if package.is_file() else {}
    specs = [
        s for s in (_backend(sprint, config, scripts), _frontend(sprint, config, scripts)) if s
    ]
    if not specs:
        return None
    browser = _browser(sprint, config, float(config.limits.loop_service_timeout))
    specs += [browser] if isinstance(browser, ServiceSpec) else []
    missing = (browser,) if isinstance(browser, Unconfigured) else ()
    source = package if package.is_file() else sprint.repo / "frontend" / "package.json"
    return ServicePlan("npm", source, tuple(specs), None, missing)


def npm_note(sprint: Sprint) -> str | None:
    """Why a root package.json starts nothing, if it does not."""
    package = sprint.repo / "package.json"
    if not package.is_file():
        return None
    names = ", ".join((*BACKEND_SCRIPTS, *FRONTEND_SCRIPTS))
    return f"package.json: none of loop-v2's scripts ({names}) and no frontend/: nothing to start"


def _scripts(package: Path) -> dict[str, object]:
    try:
        scripts = json.loads(fsio.read_text(package)).get("scripts") or {}
    except (ValueError, AttributeError):
        raise LoopdError("not a valid package.json", path=package) from None
    return scripts if isinstance(scripts, dict) else {}


def _backend(sprint: Sprint, config: Config, scripts: dict[str, object]) -> ServiceSpec | None:
    script = next((s for s in BACKEND_SCRIPTS if s in scripts), None)
    if script is None:
        return None
    settings = config.services
    url = _url(settings.backend_port, settings.backend_health)
    return _spec("backend", sprint.repo, script, url, BACKEND_TIMEOUT)


def _frontend(sprint: Sprint, config: Config, scripts: dict[str, object]) -> ServiceSpec | None:
    settings = config.services
    url = _url(settings.frontend_port, settings.frontend_health)
    folder = sprint.repo / "frontend"
    if (folder / "package.json").is_file():
        return _spec("frontend", folder, "dev", url, FRONTEND_TIMEOUT)
    script = next((s for s in FRONTEND_SCRIPTS if s in scripts), None)
    return None if script is None else _spec("frontend", sprint.repo, script, url, FRONTEND_TIMEOUT)


def _url(port: int, path: str) -> str:
    # localhost, not 127.0.0.1: Node 17+ dev servers often bind ::1 only.
    return f"http://localhost:{port}{path if path.startswith('/') else '/' + path}"


def _spec(name: str, cwd: Path, script: str, url: str, timeout: float) -> ServiceSpec:
    # loop-v2 probed with `curl -s`: any HTTP answer means up (loopd: any below 500).
    return ServiceSpec(
        name=name,
        kind="npm",
        cwd=cwd,
        timeout=timeout,
        start=f"npm run {script}",
        health=HttpCheck(url, status=None),
    )


def make(sprint: Sprint, config: Config) -> ServicePlan | None:
    """The Makefile's ``serve:`` target, else its ``run:`` target, or None."""
    makefile = sprint.repo / "Makefile"
    if not makefile.is_file():
        return None
    text = fsio.read_text(makefile)
    for target in MAKE_TARGETS:
        found = re.search(rf"^{target}:", text, re.M)
        if found is None:
            continue
        spec = ServiceSpec(
            name=target,
            kind="command",
            cwd=sprint.repo,
            timeout=float(config.limits.loop_service_timeout),
            start=f"make {target}",
            line=text.count("\n", 0, found.start()) + 1,
            unchecked=MAKE_UNCHECKED,
        )
        return ServicePlan("make", makefile, (spec,))
    return None


def needs_browser(sprint: Sprint) -> bool:
    """Whether the vision has the tests drive a browser."""
    return sprint.vision.is_file() and bool(BROWSER_WORDS.search(fsio.read_text(sprint.vision)))


def _browser(sprint: Sprint, config: Config, timeout: float) -> ServiceSpec | Unconfigured | None:
    if not needs_browser(sprint):
        return None
    binary = next((b for b in BROWSERS if shutil.which(b)), None)
    if binary is None:
        reason = f"the vision needs a browser and none is installed ({', '.join(BROWSERS[:3])})"
        return Unconfigured("browser", "browser", f"{reason}: needs an SVC task")
    port = config.services.browser_port
    profile = sprint.runtime / "services" / "browser-profile"
    argv = [binary, "--headless=new", "--no-sandbox", f"--remote-debugging-port={port}"]
    return ServiceSpec(
        name="browser",
        kind="browser",
        cwd=sprint.repo,
        timeout=timeout,
        start=shlex.join([*argv, f"--user-data-dir={profile}", "about:blank"]),
        health=CdpCheck(f"http://127.0.0.1:{port}"),
    )
