"""A sprint's services: detect them, start them with real health checks, stop what loopd started.

The engine's entry point is :class:`ServiceManager`; ``loopd services`` and
``loopd status`` read the last :class:`ServiceReport` with :func:`load_report`.
"""

from __future__ import annotations

from loopd.services.detect import detect, find_compose_file, find_services_file
from loopd.services.legacy import needs_browser
from loopd.services.manager import FixService, ServiceManager
from loopd.services.report import ServiceReport, ServiceStatus, State, load_report, report_path
from loopd.services.spec import (
    CdpCheck,
    CommandCheck,
    Health,
    HttpCheck,
    ServicePlan,
    ServiceSpec,
    TcpCheck,
    Unconfigured,
    start_order,
)

__all__ = [
    "CdpCheck",
    "CommandCheck",
    "FixService",
    "Health",
    "HttpCheck",
    "ServiceManager",
    "ServicePlan",
    "ServiceReport",
    "ServiceSpec",
    "ServiceStatus",
    "State",
    "TcpCheck",
    "Unconfigured",
    "detect",
    "find_compose_file",
    "find_services_file",
    "load_report",
    "needs_browser",
    "report_path",
    "start_order",
]
