"""The configuration reference, generated from the schema."""

from __future__ import annotations

import inspect

from loopd.config.kinds import bounds
from loopd.config.schema import FIELDS, SECTIONS, FieldInfo

_INTRO = """\
Settings are read, lowest precedence first, from: the defaults below, the repo's
`.loopd/config.yaml`, the sprint's `loop-config.yaml`, loop-v2's plain names in the
environment (`LOOP_BACKEND_PORT=8080`: only the ones loop-v2 itself read from the
environment, listed last in the environment column), the sprint's `loop-config.sh`
(sourced by bash with the environment, as loop-v2 did), `LOOPD_*` environment
variables, and command-line options.  In YAML, write sections
(`limits: {max_test_fix_attempts: 5}`) or loop-v2's flat names
(`MAX_TEST_FIX_ATTEMPTS: 5`).  A mapping setting can be set one key at a time
(`agent: {binaries: {claude: /opt/bin/claude}}`, or
`LOOPD_AGENT_BINARIES_CLAUDE=/opt/bin/claude`); its other keys keep their values.
Lists and mappings in environment variables are YAML (`[5, 10, 20]`, `{claude: x}`);
lists of numbers may also be separated by commas or spaces, and argument lists are
split like a shell does (`PROTECTED_BRANCHES="main release"`).
"""


def reference_markdown() -> str:
    """The configuration reference as Markdown, one table per section.

    Columns: key, bash name, environment variables, default, meaning.
    """
    parts = ["## Configuration reference\n\n", _INTRO]
    for section, cls in SECTIONS.items():
        parts.append(f"\n### `{section}`\n\n{inspect.getdoc(cls)}\n\n")
        parts.append("| key | bash name | environment | default | meaning |\n")
        parts.append("| --- | --- | --- | --- | --- |\n")
        parts += [_row(info) for info in FIELDS if info.section == section]
    return "".join(parts)


def _row(info: FieldInfo) -> str:
    bash = f"`{info.bash}`" if info.bash else ""
    env = [f"`{info.env}`", f"`{info.bash_env}`" if info.bash_env else ""]
    if info.plain_env:
        env.append(f"`{info.plain_env}`")
    if info.kind.mapping:
        env.append(f"`{info.env}_<KEY>`")
    cells = [
        f"`{info.name}`",
        bash,
        "<br>".join(e for e in env if e),
        _default(info),
        _meaning(info),
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |\n"


def _default(info: FieldInfo) -> str:
    if info.default is None:
        return "none"
    text = info.kind.text(info.default)
    return f"`{text}`" if text else '`""`'


def _meaning(info: FieldInfo) -> str:
    rule = info.rule
    extra: list[str] = []
    if info.kind.noun in ("integer", "number"):
        extra.append(bounds(info.kind.noun.capitalize(), rule) + ".")
    if rule.choices:
        extra.append(f"One of {', '.join(f'`{c}`' for c in rule.choices)}.")
    if rule.keys:
        extra.append(f"Keys: {', '.join(f'`{k}`' for k in rule.keys)}.")
    return " ".join([info.doc, *extra])
