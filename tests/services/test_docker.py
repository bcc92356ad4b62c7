"""Docker services against the real engine: an image run through the SDK, a compose project.

No registry is reachable, so the image is built here: ``docker import`` of a
root filesystem holding Debian's static busybox (whose ``httpd`` serves HTTP).
It is built once per machine and kept.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from loopd import dockerio
from loopd.services.launch import SERVICE_LABEL, SPRINT_LABEL
from loopd.sprint import Sprint
from tests.conftest import need
from tests.services.conftest import MakeManager, free_port, http_health, write_services

pytestmark = pytest.mark.docker
IMAGE = "loopd-test-busybox:1"
BUSYBOX = Path("/bin/busybox")
HTTPD = "httpd -f -p 8080 -h /www"
# httpd as PID 1 ignores SIGTERM: SIGKILL spares each test compose's stop timeout.
KILL_ON_STOP = "    stop_signal: SIGKILL\n"


def _rootfs() -> bytes:
    """A tar of /bin/busybox, a symlink per applet, and /www/index.html."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        tar.add(BUSYBOX, arcname="bin/busybox")
        for applet in ("sh", "httpd", "sleep", "wget"):
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        page = b"hello from busybox\n"
        info = tarfile.TarInfo("www/index.html")
        info.size = len(page)
        tar.addfile(info, io.BytesIO(page))
    return data.getvalue()


@pytest.fixture(scope="session")
def image() -> Iterator[str]:
    """The local busybox image (built only if missing)."""
    need(dockerio.engine_status().reachable, "no Docker engine answers")
    need(BUSYBOX.is_file(), "busybox-static is not installed (/bin/busybox)")
    client = docker.from_env()
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        repository, tag = IMAGE.split(":")
        client.api.import_image_from_data(
            _rootfs(), repository=repository, tag=tag, changes=["ENV PATH=/bin"]
        )
    yield IMAGE
    client.close()


def test_image_service_runs_and_is_removed_on_stop(
    sprint: Sprint, make_manager: MakeManager, image: str
) -> None:
    port = free_port()
    write_services(
        sprint,
        f"services:\n  web:\n    image: {image}\n    command: {HTTPD}\n"
        f"    ports: ['{port}:8080']\n    env: {{GREETING: hi}}\n"
        f"    health: {http_health(port)}\n",
    )
    manager = make_manager()
    web = manager.start_all().get("web")
    assert web is not None and web.state == "started", web.evidence
    assert f"127.0.0.1:{port}/ answered 200" in web.evidence
    state = dockerio.container("loopd-s1-web")
    assert state is not None and state.status == "running"
    assert state.labels[SPRINT_LABEL] == "s1" and state.labels[SERVICE_LABEL] == "web"
    assert manager.stop_all() == ("web: stopped its container",)
    assert dockerio.container("loopd-s1-web") is None


def test_image_that_exits_reports_its_logs(
    sprint: Sprint, make_manager: MakeManager, image: str
) -> None:
    write_services(
        sprint,
        f"services:\n  job:\n    image: {image}\n"
        "    command: [sh, -c, 'echo no config found; exit 7']\n",
    )
    job = make_manager().start_all().get("job")
    assert job is not None and job.state == "failed"
    assert "exit code 7" in job.evidence and "no config found" in job.evidence
    assert dockerio.container("loopd-s1-job") is None  # a failed attempt is cleaned up


def test_compose_project_up_and_down(sprint: Sprint, make_manager: MakeManager, image: str) -> None:
    port = free_port()
    (sprint.repo / "docker-compose.yml").write_text(
        f"version: '3'\nservices:\n  web:\n    image: {image}\n    command: {HTTPD}\n"
        f"    ports: ['{port}:8080']\n{KILL_ON_STOP}"
    )
    manager = make_manager()
    report = manager.start_all()
    assert report.orchestration == "compose"
    web = report.get("web")
    assert web is not None and web.state == "started", web.evidence
    assert web.evidence.startswith("healthy: container loopd-s1") and "is running" in web.evidence
    [state] = dockerio.compose_containers("loopd-s1", "web")
    assert state.up
    assert manager.check().all_running
    assert manager.stop_all() == ("compose project loopd-s1: down",)
    assert dockerio.compose_containers("loopd-s1", "web") == ()


def test_declared_compose_services_and_one_that_exits(
    sprint: Sprint, make_manager: MakeManager, image: str
) -> None:
    port = free_port()
    (sprint.dir / "compose.yaml").write_text(
        f"version: '3'\nservices:\n  web:\n    image: {image}\n    command: {HTTPD}\n"
        f"    ports: ['{port}:8080']\n{KILL_ON_STOP}"
        f"  job:\n    image: {image}\n    command: sh -c 'echo migrations failed; exit 5'\n"
    )
    write_services(
        sprint,
        f"services:\n  web:\n    compose: web\n    health: {http_health(port)}\n"
        "  job:\n    compose: job\n",
    )
    manager = make_manager()
    report = manager.start_all()
    assert report.orchestration == "services.yaml"
    assert report.get("web").state == "started"  # type: ignore[union-attr]
    job = report.get("job")
    assert job is not None and job.state == "failed"
    assert "exit code 5" in job.evidence and "migrations failed" in job.evidence
    assert manager.stop_all() == ("compose project loopd-s1: down",)
    client = docker.from_env()
    assert client.networks.list(names=["loopd-s1_default"]) == []
    assert dockerio.compose_containers("loopd-s1", "web") == ()
