"""Settings from the environment (``LOOPD_*``, and loop-v2's own names) and from CLI overrides."""

from __future__ import annotations

from collections.abc import Mapping

from loopd.config.layers import (
    Layer,
    Origin,
    all_names,
    entries,
    renamed,
    resolve,
    suggestion,
    unknown,
)
from loopd.config.schema import BY_BASH, FIELDS, OLD_BASH, SECTIONS
from loopd.errors import LoopdError

ENVIRONMENT = "environment"
V2_ENVIRONMENT = "environment (loop-v2 names)"
OVERRIDES = "overrides"


def read_plain_env(env: Mapping[str, str]) -> Layer:
    """Settings from loop-v2's own names in the environment (``LOOP_BACKEND_PORT=8080``).

    Only the names loop-v2 itself took from the environment count
    (``FieldInfo.from_env``).  This layer sits below loop-config.sh, which can
    override them as it could in loop-v2.  Such a variable may be left over in
    a shell rather than meant for loopd, so a bad value is a warning, not an error.
    """
    layer = Layer(V2_ENVIRONMENT)
    for info in FIELDS:
        name = info.plain_env
        if name is None or name not in env:
            continue
        try:
            layer.entries += entries(info, env[name], name, Origin(V2_ENVIRONMENT))
        except LoopdError as exc:
            layer.warnings.append(f"{V2_ENVIRONMENT}: {exc.message} (ignored)")
    return layer


def read_env(env: Mapping[str, str]) -> Layer:
    """Settings from ``LOOPD_<SECTION>_<FIELD>`` and loop-v2's ``LOOPD_<BASHNAME>``.

    Both may be set; the section form wins.  A mapping setting also takes one
    key per variable: ``LOOPD_AGENT_BINARIES_CLAUDE=/opt/claude``.
    """
    layer = Layer(ENVIRONMENT)
    known: set[str] = set()
    _old_names(env, layer)
    for info in FIELDS:
        names = [n for n in (info.bash_env, info.env) if n]
        known.update(names)
        for name in names:
            if name in env:
                layer.entries += entries(info, env[name], name, Origin(ENVIRONMENT))
        if info.kind.mapping:
            for name in sorted(n for n in env if n.startswith(f"{info.env}_")):
                key = name[len(info.env) + 1 :].lower()
                layer.entries += entries(info, env[name], name, Origin(ENVIRONMENT), key)
                known.add(name)
    layer.warnings += _unknown(env, known)
    return layer


def _old_names(env: Mapping[str, str], layer: Layer) -> None:
    # Entered first, so the real name set in the same layer wins.
    for old, real in OLD_BASH.items():
        name = f"LOOPD_{old}"
        if name in env:
            info = BY_BASH[real]
            layer.entries += entries(info, env[name], name, Origin(ENVIRONMENT))
            layer.warnings.append(renamed(ENVIRONMENT, name, f"LOOPD_{real}"))


def _unknown(env: Mapping[str, str], known: set[str]) -> list[str]:
    # Only names in a section's namespace: other LOOPD_* variables (LOOPD_ROLE,
    # LOOPD_SPRINT, ... of the agent contract) are not settings.
    prefixes = tuple(f"LOOPD_{section.upper()}_" for section in SECTIONS)
    every = [info.env for info in FIELDS]
    return [
        unknown(ENVIRONMENT, name, every)
        for name in sorted(env)
        if name.startswith(prefixes) and name not in known
    ]


def read_overrides(overrides: Mapping[str, object]) -> Layer:
    """Settings given on the command line: dotted path (or bash name) -> value.

    A value of ``None`` means the option was not given.  An unknown name is an
    error, not a warning: it came from the command being run.
    """
    layer = Layer(OVERRIDES)
    for name, raw in overrides.items():
        if raw is None:
            continue
        found = resolve(name)
        if found is None:
            raise LoopdError(f"unknown setting {name!r}{suggestion(name, all_names())}")
        info, key = found
        layer.entries += entries(info, raw, name, Origin(OVERRIDES), key)
    return layer
