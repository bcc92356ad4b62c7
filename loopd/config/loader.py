"""Load the configuration: every source, stacked in precedence order, validated."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loopd.config.bashsrc import read_bash
from loopd.config.envsrc import read_env, read_overrides, read_plain_env
from loopd.config.exported import setting_variables
from loopd.config.frozen import FrozenMap
from loopd.config.layers import Entry, Layer, build, merge
from loopd.config.schema import BY_PATH, Config
from loopd.config.yamlsrc import read_yaml_file
from loopd.sprint import RUNTIME_DIR, Sprint

REPO_CONFIG = Path(RUNTIME_DIR) / "config.yaml"
_REPO_ONLY = ("paths.sprints_root",)


@dataclass(frozen=True)
class LoadedConfig:
    """A loaded configuration and what it was made of.

    ``warnings`` are complete lines (``file:line: ...``) for the caller to show;
    ``sources`` name the files (and ``environment``, ``overrides``) that set at
    least one value, lowest precedence first; ``origins`` say where each
    setting that is not at its default came from (``agent.binaries.claude``
    for one key of a mapping).
    """

    config: Config
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    origins: Mapping[str, str] = dataclasses.field(default_factory=FrozenMap[str])


def default_config() -> Config:
    """Every setting at its default."""
    return Config()


def load_config(
    repo: Path,
    sprint: Sprint | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> LoadedConfig:
    """Load the configuration of ``repo`` (and of ``sprint``, when given).

    Precedence, lowest first: defaults, ``.loopd/config.yaml``, the sprint's
    ``loop-config.yaml``, loop-v2's own names in ``env`` (the process
    environment when None) for the settings loop-v2 read from it
    (``LOOP_BACKEND_PORT``), the sprint's ``loop-config.sh`` (sourced with
    ``env``, as loop-v2 did), ``LOOPD_*`` variables of ``env``, ``overrides``.  Bad input
    raises :class:`~loopd.errors.LoopdError` naming the file and line; nothing
    is written.
    """
    repo = repo.resolve()
    env = os.environ if env is None else env
    layers = _file_layers(repo, sprint, env)
    layers += [read_env(env), read_overrides(overrides or {})]
    winners = merge(layers)
    config = _checked(build(winners), winners)
    exports = {k: v for layer in layers for k, v in layer.exports.items()}
    config = dataclasses.replace(config, exports=FrozenMap(exports))
    return LoadedConfig(
        config=_with_repo_paths(config, repo),
        warnings=tuple(w for layer in layers for w in layer.warnings),
        sources=tuple(layer.source for layer in layers if layer.entries),
        origins=FrozenMap({key: str(entry.origin) for key, entry in winners.items()}),
    )


def _file_layers(repo: Path, sprint: Sprint | None, env: Mapping[str, str]) -> list[Layer]:
    # Warnings and origins name files relative to the repo, like every other file:line.
    layers = []
    if (repo / REPO_CONFIG).is_file():
        layers.append(read_yaml_file(repo / REPO_CONFIG, str(REPO_CONFIG)))
    if sprint is not None and sprint.config_yaml.is_file():
        source = sprint.relative(sprint.config_yaml)
        layers.append(_sprint_level(read_yaml_file(sprint.config_yaml, source)))
    layers.append(read_plain_env(env))
    if sprint is not None and sprint.config_sh.is_file():
        # The script sees every setting at its value so far, as loop-v2 had them set.
        seeds = setting_variables(build(merge(layers)))
        source = sprint.relative(sprint.config_sh)
        layers.append(_sprint_level(read_bash(sprint, seeds, env, source)))
    return layers


def _sprint_level(layer: Layer) -> Layer:
    # The sprint was found through the sprints root: a sprint cannot move it.
    for entry in [e for e in layer.entries if e.key in _REPO_ONLY]:
        layer.entries.remove(entry)
        layer.warnings.append(f"{entry.origin}: {entry.key} only works in {REPO_CONFIG}; ignored")
    return layer


def _checked(config: Config, winners: Mapping[str, Entry]) -> Config:
    """Rules across settings, reported where the backend was chosen."""
    agent = config.agent
    needs = {
        "command": ("command", agent.command),
        "replay": ("replay_script", agent.replay_script),
    }
    if agent.backend in needs:
        name, value = needs[agent.backend]
        if value is None:
            entry = winners["agent.backend"]
            raise entry.origin.error(
                f"agent.backend is {agent.backend!r} but agent.{name} is not set",
                hint=f"set agent.{name}: {BY_PATH['agent.' + name].doc}",
            )
    return config


def _with_repo_paths(config: Config, repo: Path) -> Config:
    script = config.agent.replay_script
    if script is None or script.is_absolute():
        return config
    agent = dataclasses.replace(config.agent, replay_script=repo / script)
    return dataclasses.replace(config, agent=agent)
