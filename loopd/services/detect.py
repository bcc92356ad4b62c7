"""Which services a sprint has, and how they start (loop-v2's ``detect_orchestration``).

In order: the sprint's ``services.yaml`` (explicit, so it wins; its ``compose:``
entries use the compose file found next), a compose file in the sprint
directory or the repo (one service per compose service), a ``package.json``
with a ``dev`` or ``start`` script (loop-v2's npm backend and frontend), else
nothing to start.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import yaml

from loopd import fsio
from loopd.config import Config, FrozenMap
from loopd.errors import LoopdError
from loopd.services.schema import ServicesFile, load_services_file
from loopd.services.spec import CdpCheck, HttpCheck, ServicePlan, ServiceSpec, Unconfigured
from loopd.sprint import Sprint

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml")
NPM_SCRIPTS = ("dev", "start")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Words in VISION.md that mean the tests drive a browser (loop-v2 checked CDP only then).
BROWSER_WORDS = re.compile(r"\b(browser|playwright|puppeteer|selenium|cdp|chrom(e|ium))\b", re.I)


def detect(sprint: Sprint, config: Config) -> ServicePlan:
    """The sprint's service plan; a malformed services.yaml raises :class:`LoopdError`."""
    compose_file = find_compose_file(sprint)
    timeout = float(config.limits.loop_service_timeout)
    if sprint.services_yaml.is_file():
        return _declared(
            load_services_file(sprint.services_yaml, sprint.repo, timeout), compose_file
        )
    if compose_file is not None:
        return _compose(compose_file, timeout)
    return _npm(sprint, config) or ServicePlan("none")


def find_compose_file(sprint: Sprint) -> Path | None:
    """The first compose file in the sprint directory, then in the repo root."""
    for folder in (sprint.dir, sprint.repo):
        for name in COMPOSE_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def _declared(parsed: ServicesFile, found: Path | None) -> ServicePlan:
    compose_file = parsed.compose_file or found
    if parsed.compose_file is not None and not parsed.compose_file.is_file():
        raise LoopdError(
            f"compose_file {parsed.compose_file} does not exist",
            path=parsed.path,
            line=parsed.compose_line,
        )
    needing = next((s for s in parsed.services if s.kind == "compose"), None)
    if needing is not None and compose_file is None:
        raise LoopdError(
            f"{needing.name}: compose service but no compose file was found",
            path=parsed.path,
            line=needing.line,
            hint=f"add compose_file, or put one of {', '.join(COMPOSE_FILES)} in the repo",
        )
    return ServicePlan("services.yaml", parsed.path, parsed.services, compose_file)


def _compose(path: Path, timeout: float) -> ServicePlan:
    try:
        data = yaml.safe_load(fsio.read_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise LoopdError(f"invalid YAML: {exc}", path=path, line=line) from None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        raise LoopdError("compose file declares no services", path=path)
    specs = tuple(
        ServiceSpec(
            name=str(name),
            kind="compose",
            cwd=path.parent,
            timeout=timeout,
            compose_service=str(name),
            depends_on=_compose_deps(body, services),
        )
        for name, body in services.items()
    )
    return ServicePlan("compose", path, specs, path)


def _compose_deps(body: object, services: dict[str, object]) -> tuple[str, ...]:
    deps = body.get("depends_on", ()) if isinstance(body, dict) else ()
    return tuple(str(d) for d in deps if d in services)


def _npm(sprint: Sprint, config: Config) -> ServicePlan | None:
    ports = config.services
    split = [("backend", ports.backend_port), ("frontend", ports.frontend_port)]
    found = [(name, sprint.repo / name, port) for name, port in split]
    found = [entry for entry in found if (entry[1] / "package.json").is_file()]
    if not found and (sprint.repo / "package.json").is_file():
        found = [("app", sprint.repo, ports.frontend_port)]
    if not found:
        return None
    timeout = float(config.limits.loop_service_timeout)
    specs: list[ServiceSpec] = []
    missing: list[Unconfigured] = []
    for name, folder, port in found:
        script = _npm_script(folder / "package.json")
        if script is None:
            reason = f"{name}/package.json has no dev or start script: needs an SVC task"
            missing.append(Unconfigured(name, "npm", reason))
            continue
        specs.append(_npm_spec(name, folder, port, script, timeout))
    if not specs:
        return None
    browser = _browser(sprint, config, timeout)
    specs += [browser] if isinstance(browser, ServiceSpec) else []
    missing += [browser] if isinstance(browser, Unconfigured) else []
    return ServicePlan("npm", found[0][1] / "package.json", tuple(specs), None, tuple(missing))


def _npm_script(package_json: Path) -> str | None:
    try:
        scripts = json.loads(fsio.read_text(package_json)).get("scripts") or {}
    except (ValueError, AttributeError):
        raise LoopdError("not a valid package.json", path=package_json) from None
    return next((s for s in NPM_SCRIPTS if isinstance(scripts, dict) and s in scripts), None)


def _npm_spec(name: str, folder: Path, port: int, script: str, timeout: float) -> ServiceSpec:
    # localhost, not 127.0.0.1: Node 17+ dev servers often bind ::1 only.
    return ServiceSpec(
        name=name,
        kind="npm",
        cwd=folder,
        timeout=timeout,
        start=f"npm run {script}",
        env=FrozenMap({"PORT": str(port)}),
        health=HttpCheck(f"http://localhost:{port}/", status=None),
    )


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
