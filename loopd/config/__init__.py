"""loopd's configuration: one declared schema, many sources, frozen results.

See :func:`load_config` for the sources and their precedence, and
:func:`reference_markdown` for every setting.
"""

from __future__ import annotations

from loopd.config.frozen import FrozenMap
from loopd.config.loader import LoadedConfig, default_config, load_config
from loopd.config.reference import reference_markdown
from loopd.config.schema import (
    BACKENDS,
    AgentConfig,
    Budgets,
    Config,
    GitSettings,
    Limits,
    Paths,
    Policy,
    Retries,
    ServiceSettings,
    TestSettings,
    Timeouts,
    WatchSettings,
)

__all__ = [
    "BACKENDS",
    "AgentConfig",
    "Budgets",
    "Config",
    "FrozenMap",
    "GitSettings",
    "Limits",
    "LoadedConfig",
    "Paths",
    "Policy",
    "Retries",
    "ServiceSettings",
    "TestSettings",
    "Timeouts",
    "WatchSettings",
    "default_config",
    "load_config",
    "reference_markdown",
]
