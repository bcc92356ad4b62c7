"""Which services a sprint has, and how they start (loop-v2's ``start_required_services``).

``services.version`` (``LOOP_SERVICES_VERSION``) picks the path as loop-v2 did:
``v1`` is the legacy npm detection only; ``v2`` and ``auto`` (when a services
file or a compose file exists, which is when loop-v2's auto chose v2) go in
``detect_orchestration``'s order: the sprint's ``services.yaml`` or
``services.yml`` (explicit, so it wins; its ``compose:`` entries use the
compose file found next), a compose file in the sprint directory or the repo
(one service per compose service), with ``v2`` a ``Dockerfile`` (for which
loop-v2 started nothing), the legacy npm scripts, a Makefile ``serve:`` or
``run:`` target, else nothing.  What is passed over, and why, is a warning.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from loopd import fsio
from loopd.config import Config
from loopd.errors import LoopdError
from loopd.services import legacy
from loopd.services.schema import ServicesFile, load_services_file
from loopd.services.spec import ServicePlan, ServiceSpec
from loopd.sprint import Sprint

SERVICES_FILES = ("services.yaml", "services.yml")
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml")


def detect(sprint: Sprint, config: Config) -> ServicePlan:
    """The sprint's service plan, warnings included.

    What cannot be acted on (a services file loopd cannot read at all, a
    compose service without a compose file) raises :class:`LoopdError`;
    ``loopd doctor`` calls this same function, so it reports what ``run`` will.
    """
    version = config.services.version
    services_file = find_services_file(sprint)
    compose_file = find_compose_file(sprint)
    if version == "v1":
        ignored = [sprint.relative(p) for p in (services_file, compose_file) if p is not None]
        notes = [f"{name}: ignored: services.version is v1 (legacy npm)" for name in ignored]
        return _warned(_fallback(sprint, config, make=False), notes)
    if services_file is not None:
        timeout = float(config.limits.loop_service_timeout)
        return _declared(load_services_file(services_file, sprint.repo, timeout), compose_file)
    if compose_file is not None:
        return _compose(compose_file, float(config.limits.loop_service_timeout))
    if version == "v2" and (sprint.repo / "Dockerfile").is_file():
        note = "Dockerfile: loop-v2 (services v2) starts nothing for a Dockerfile, nor does loopd"
        return ServicePlan("none", warnings=(f"{note}: declare services in services.yaml",))
    return _fallback(sprint, config, make=True)


def find_services_file(sprint: Sprint) -> Path | None:
    """The sprint's ``services.yaml``, else its ``services.yml`` (where loop-v2 looked)."""
    return next((sprint.dir / n for n in SERVICES_FILES if (sprint.dir / n).is_file()), None)


def _fallback(sprint: Sprint, config: Config, *, make: bool) -> ServicePlan:
    """No services file or compose: loop-v2's npm scripts, then (v2 order) its Makefile."""
    found = legacy.npm(sprint, config)
    if found is None and make:
        found = legacy.make(sprint, config)
    if found is not None:
        return found
    note = legacy.npm_note(sprint)
    return ServicePlan("none", warnings=(note,) if note else ())


def _warned(plan: ServicePlan, notes: list[str]) -> ServicePlan:
    return dataclasses.replace(plan, warnings=(*notes, *plan.warnings))


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
    return ServicePlan(
        "services.yaml", parsed.path, parsed.services, compose_file, warnings=parsed.warnings
    )


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
