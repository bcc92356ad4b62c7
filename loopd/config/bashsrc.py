"""Settings from a sprint's ``loop-config.sh``, read by bash itself.

loop-v2 sourced this file, so it may hold any bash: quotes, ``$( )``,
heredocs, conditionals.  loopd sources it in a child bash with loopd's
environment and the variables loop-v2 had set (the sprint's names and paths,
and every setting at its value from the lower layers), then reads the known
variables back NUL-separated on a private file descriptor, so nothing the
script prints can corrupt them.

The script sees the environment, as in loop-v2 (``[ -n "$DATABASE_URL" ]``,
``LOOP_BACKEND_PORT=${PORT:-3001}``).  A secret-named variable's value that
ends up in a setting is masked (``[REDACTED:API_TOKEN]``) with a warning:
settings reach prompts and logs, and the agent has the variable itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from loopd import proc
from loopd.config.exported import sprint_variables
from loopd.config.layers import Layer, Origin, entries, renamed, unknown
from loopd.config.schema import BY_BASH, OLD_BASH
from loopd.errors import LoopdError
from loopd.redact import environ_secrets, mask_values
from loopd.sprint import Sprint

TIMEOUT = 10.0
# Read by bash before our driver runs: a user's startup file has no place here.
_NOT_PASSED = ("BASH_ENV", "ENV")

# $1 the file, $2 the sprint (loop-v2's $1 when it sourced the file), then the
# names to read back.  The script's stdout goes to stderr; fd 3 is ours.  A
# DEBUG trap notes, per known name, the line of the script's command after
# which its value last changed (a call or a nested source counts as its line).
_DRIVER = r"""
__loopd_file=$1; __loopd_names=("${@:3}"); set -- "$2"
"$BASH" -n "$__loopd_file" || { builtin printf 'LOOPD-CONFIG-SYNTAX\0'; exit 2; }
__loopd_before=$(builtin compgen -v)
declare -A __loopd_value=() __loopd_line=()
__loopd_at=0
__loopd_track() {
  local n
  for n in "${__loopd_names[@]}"; do
    if [[ ${!n-__loopd_unset} != "${__loopd_value[$n]-}" ]]; then
      __loopd_value[$n]=${!n-__loopd_unset}; __loopd_line[$n]=$__loopd_at
    fi
  done
  if [[ ${BASH_SOURCE[1]-} == "$__loopd_file" ]]; then __loopd_at=$1; fi
}
__loopd_track 0
exec 3>&1 1>&2
trap 'builtin printf "LOOPD-CONFIG-EXIT\0%s\0" "$__loopd_at" >&3' EXIT
set -T; trap '__loopd_track "$LINENO"' DEBUG
builtin source "$__loopd_file"
trap - DEBUG EXIT
set +euT
__loopd_track 0
builtin printf 'LOOPD-CONFIG-OK\0' >&3
for __loopd_name in "${__loopd_names[@]}"; do
  if [[ -v $__loopd_name ]]; then builtin printf '1\0%s\0' "${!__loopd_name}" >&3
  else builtin printf '0\0\0' >&3; fi
  builtin printf '%s\0' "${__loopd_line[$__loopd_name]-}" >&3
done
builtin printf '%s\0' "$__loopd_before" "$(builtin compgen -v)" >&3
while IFS= builtin read -r __loopd_name; do
  builtin printf '%s\0%s\0' "$__loopd_name" "${!__loopd_name}" >&3
done < <(builtin compgen -e)
"""
_OK = "LOOPD-CONFIG-OK\0"
_SYNTAX = "LOOPD-CONFIG-SYNTAX\0"
_EXIT = "LOOPD-CONFIG-EXIT\0"

_DECLARE = "(?:export|readonly|declare|typeset|local)"
_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# Variables bash itself may create while running a script (read, getopts, cd, ...).
_BASH_OWN = frozenset(
    [
        "BASHOPTS",
        "BASHPID",
        "COLUMNS",
        "COMP_WORDBREAKS",
        "DIRSTACK",
        "EPOCHREALTIME",
        "EPOCHSECONDS",
        "EUID",
        "FUNCNAME",
        "GROUPS",
        "HISTCMD",
        "HOSTNAME",
        "HOSTTYPE",
        "IFS",
        "LINENO",
        "LINES",
        "MACHTYPE",
        "MAILCHECK",
        "OLDPWD",
        "OPTARG",
        "OPTERR",
        "OPTIND",
        "OSTYPE",
        "PIPESTATUS",
        "PPID",
        "PS4",
        "PWD",
        "RANDOM",
        "REPLY",
        "SECONDS",
        "SHELLOPTS",
        "SHLVL",
        "SRANDOM",
        "UID",
    ]
)


def read_bash(
    sprint: Sprint,
    seeds: Mapping[str, str],
    env: Mapping[str, str],
    source: str,
    timeout: float = TIMEOUT,
) -> Layer:
    """Source ``sprint.config_sh`` and return the settings it set.

    ``seeds`` are the settings' values before the script runs (lower layers),
    as loop-v2 had them set; ``env`` is the environment it runs in.  A
    variable counts as set by the script when its value differs afterwards.
    """
    path = sprint.config_sh
    origin = Origin(source, path)
    child_env = _child_env(sprint, seeds, env)
    names = [*BY_BASH, *OLD_BASH]
    done = _run(sprint, names, child_env, path, timeout)
    if not done.stdout.startswith(_OK):
        raise _failure(done, path, origin)
    text = path.read_text(encoding="utf-8", errors="replace")
    tokens = done.stdout[len(_OK) :].split("\0")
    layer = Layer(source, warnings=_stderr_warnings(done.stderr, path, origin))
    found: list[tuple[int, str, str]] = []
    for i, name in enumerate(names):
        is_set, value, line = tokens[3 * i : 3 * i + 3]
        if is_set == "1" and value != child_env.get(name):
            where = int(line) if line.isdigit() and line != "0" else assignment_line(text, name)
            found.append((where or 0, name, value))
    secrets = environ_secrets(env)
    # In the file's order, so the warnings are too.
    for where, name, value in sorted(found):
        _add(layer, name, value, origin.at(where or None), secrets)
    rest = tokens[3 * len(names) :]
    before, after = rest[0].split("\n"), rest[1].split("\n")
    exported = dict(zip(rest[2:-1:2], rest[3::2], strict=True))
    # LOOPD_* are loopd's own (loopd.proc marks the child with LOOPD_PROC_IDS).
    changed = {
        n for n, v in exported.items() if child_env.get(n) != v and not n.startswith("LOOPD_")
    }
    layer.exports = {n: exported[n] for n in sorted(changed) if _passed_on(n)}
    layer.warnings += _unknown(set(after) - set(before) - changed, text, origin)
    return layer


def _passed_on(name: str) -> bool:
    """Whether an exported variable is the user's own (not a setting, not bash's)."""
    return name not in BY_BASH and name not in OLD_BASH and not _bash_own(name)


def _bash_own(name: str) -> bool:
    return name in _BASH_OWN or name.startswith("BASH")


def _add(
    layer: Layer, name: str, value: str, where: Origin, secrets: list[tuple[str, str]]
) -> None:
    value, masked = mask_values(value, secrets)
    for secret in masked:
        layer.warnings.append(
            f"{where}: {name} holds the value of the environment variable {secret}; it is"
            f" masked as [REDACTED:{secret}] because settings reach prompts and logs."
            f" The agent has {secret} in its environment: write \\${secret} to refer to it"
        )
    real = OLD_BASH.get(name)
    if real is None:
        layer.entries += entries(BY_BASH[name], value, name, where)
        return
    # Entered first, so the real name wins when the script sets both.
    layer.entries[:0] = entries(BY_BASH[real], value, name, where)
    layer.warnings.append(renamed(where, name, real))


def _child_env(sprint: Sprint, seeds: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """loopd's environment plus what loop-v2 had set before sourcing the file."""
    passed = {name: value for name, value in env.items() if name not in _NOT_PASSED}
    basics = {"PATH": "/usr/bin:/bin", "HOME": str(sprint.repo), "LANG": "C.UTF-8"}
    return {**basics, **passed, **sprint_variables(sprint), **seeds}


def _run(
    sprint: Sprint, names: list[str], child_env: Mapping[str, str], path: Path, timeout: float
) -> proc.Completed:
    argv = ["bash", "-c", _DRIVER, "loop-config", str(path), sprint.name, *names]
    try:
        done = proc.run(argv, cwd=sprint.repo, env=child_env, timeout=timeout)
    except FileNotFoundError:
        raise LoopdError("bash is needed to read it but was not found", path=path) from None
    if done.timed_out:
        raise LoopdError(
            f"did not finish within {timeout:g} s",
            path=path,
            hint="loopd sources it to read settings; it must not wait for anything",
        )
    return done


def _bash_messages(stderr: str, path: Path) -> list[tuple[int, str]]:
    """bash's own ``FILE: line N: message`` lines about ``path``."""
    pattern = re.compile(rf"^{re.escape(str(path))}: line (\d+): (.*)$", re.MULTILINE)
    return [(int(m.group(1)), m.group(2)) for m in pattern.finditer(stderr)]


def _failure(done: proc.Completed, path: Path, origin: Origin) -> LoopdError:
    messages = _bash_messages(done.stderr, path)
    if done.stdout.startswith(_SYNTAX) and messages:
        return origin.at(messages[0][0]).error(f"bash: {messages[0][1]}")
    # The EXIT trap reports the line of the command that ended the script.
    exited = done.stdout.split("\0")[1] if done.stdout.startswith(_EXIT) else ""
    line = int(exited) if exited.isdigit() and exited != "0" else None
    said = [text for at, text in messages if at == line]
    status = f"exit status {done.returncode}"
    if said:
        return origin.at(line).error(f"bash: {said[-1]} ({status})")
    printed = [text.strip() for text in done.stderr.splitlines() if text.strip()]
    return origin.at(line).error(
        f"exits while being sourced ({status})",
        hint=f"it printed: {printed[-1]}" if printed else "a sourced config must not call exit",
    )


def _stderr_warnings(stderr: str, path: Path, origin: Origin) -> list[str]:
    # Errors bash reported but survived (a mistyped command): loop-v2 went on too.
    return [f"{origin.at(line)}: bash: {message}" for line, message in _bash_messages(stderr, path)]


def _unknown(names: set[str], text: str, origin: Origin) -> list[str]:
    """Warnings for upper-case variables the script set (not exported) that are no setting.

    Lower-case names are taken for the script's own helpers and not reported.
    """
    odd = sorted(
        n
        for n in names
        if _NAME.fullmatch(n) and n not in BY_BASH and n not in OLD_BASH and not _bash_own(n)
    )
    found = [(assignment_line(text, n), n) for n in odd]
    return [
        unknown(origin.at(line), name, BY_BASH)
        for line, name in sorted(found, key=lambda item: (item[0] or 0, item[1]))
    ]


def assignment_line(text: str, name: str) -> int | None:
    """The line of the last plain assignment to ``name``, for messages only.

    Values are never read this way: bash evaluates the file.
    """
    pattern = re.compile(
        rf"^[ \t]*(?:{_DECLARE}(?:[ \t]+-\w+)*[ \t]+)?{name}(?:\[[^\]]*\])?\+?=",
        re.MULTILINE,
    )
    starts = [m.start() for m in pattern.finditer(text)]
    return text.count("\n", 0, starts[-1]) + 1 if starts else None
