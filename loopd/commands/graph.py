"""``loopd graph``: draw the loop from phases/loop.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click
from transitions.extensions import GraphMachine

from loopd import fsio
from loopd.engine.machine import transitions_of
from loopd.engine.spec import LoopSpec, load_spec

Format = Literal["mermaid", "dot"]


class _Model:
    """A bare model: the drawing needs a machine, not an engine."""


def draw(spec: LoopSpec, fmt: Format) -> str:
    model = _Model()
    GraphMachine(
        model=model,
        states=list(spec.states),
        transitions=transitions_of(spec),
        initial=spec.initial,
        auto_transitions=False,
        graph_engine="mermaid" if fmt == "mermaid" else "graphviz",
        title="loopd sprint loop",
        show_state_attributes=False,
    )
    graph = model.get_graph()  # type: ignore[attr-defined]
    text: str = graph.draw(None) if fmt == "mermaid" else graph.source
    return text if text.endswith("\n") else text + "\n"


def graph(*, fmt: Format, output: Path | None) -> int:
    """Print the loop's state machine, or write it to ``output``."""
    text = draw(load_spec(), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        fsio.atomic_write(output, text)
        click.echo(f"wrote {output}")
    return 0
