"""The ``loopd`` command line.

This layer only parses: each command hands keywords to a typed function in
:mod:`loopd.commands` that returns an exit code.  :func:`main` is the one
top-level handler: a :class:`LoopdError` is one clean line and exit 1,
Ctrl-C is 130, anything else is a bug whose traceback goes to the crash log.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from loopd import __version__
from loopd.commands import crash
from loopd.errors import LoopdError
from loopd.sprint import DEFAULT_SPRINTS_ROOT

if TYPE_CHECKING:
    from loopd.prompting.context import VrcKind

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130


@dataclass
class Options:
    """Global options every command receives.

    ``-C`` and ``--sprints-root`` are accepted before the command and after
    it (the later wins).  The sprints root is read from the config only when
    a command asks for it, so a broken config does not break ``--help``,
    ``demo`` or ``graph``.
    """

    repo: Path
    given_root: str | None = None

    @property
    def sprints_root(self) -> str:
        if self.given_root is not None:
            return self.given_root
        from loopd.config import load_config

        return load_config(self.repo).config.paths.sprints_root


def _set_repo(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(Options).repo = value.resolve()


def _set_root(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(Options).given_root = value


REPO_HELP = "Run as if started in this repository."
ROOT_HELP = (
    "Directory, relative to the repo, that holds one folder per sprint "
    f"[default: paths.sprints_root from the config, else {DEFAULT_SPRINTS_ROOT}]."
)


def _location_options() -> list[click.Parameter]:
    """-C and --sprints-root for a subcommand: ``loopd status -C DIR s1`` works too."""
    return [
        click.Option(
            ["-C", "--repo"],
            type=click.Path(file_okay=False, path_type=Path),
            expose_value=False,
            callback=_set_repo,
            help=REPO_HELP,
        ),
        click.Option(["--sprints-root"], expose_value=False, callback=_set_root, help=ROOT_HELP),
    ]


pass_options = click.make_pass_decorator(Options)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
sprint_argument = click.argument("sprint")
iterations_argument = click.argument(
    "iterations", required=False, type=click.IntRange(min=0), metavar="[N]"
)
max_iterations_option = click.option(
    "--max-iterations",
    type=click.IntRange(min=0),
    help="Test iteration limit, the same as N (0: none).",
)
watch_option = click.option(
    "--watch", is_flag=True, help="Stay up after the loop; run it again when files change."
)
no_watch_option = click.option(
    "--no-watch", is_flag=True, help="Exit when the loop ends (do not watch files)."
)


in_place_option = click.option(
    "--in-place",
    is_flag=True,
    help="Work in your checkout (switch branch, stash your work) as loop-v2 did, "
    "not in the sprint's own worktree under .loopd/worktrees/.",
)


def iteration_limit(positional: int | None, option: int | None) -> int | None:
    """The test iteration limit from ``N`` (loop-v2's second argument) or --max-iterations."""
    if positional is not None and option is not None and positional != option:
        raise LoopdError(
            f"the iteration limit is given twice, as {positional} and --max-iterations {option}",
            hint="give one of them",
        )
    return positional if positional is not None else option


def refuse_both(first: tuple[str, bool], second: tuple[str, bool]) -> None:
    """A LoopdError when two flags that contradict each other are both given."""
    if first[1] and second[1]:
        raise LoopdError(f"{first[0]} and {second[0]} contradict each other: give one")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="loopd")
@click.option(
    "-C",
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help=REPO_HELP,
)
@click.option("--sprints-root", help=ROOT_HELP)
@click.pass_context
def cli(ctx: click.Context, repo: Path, sprints_root: str | None) -> None:
    """loopd drives an AI coding agent through a sprint, from documents to tested software.

    A sprint lives in <sprints-root>/<sprint>/ (VISION.md and PRD.md are
    required).  loopd plans it through quality gates, implements the plan task
    by task, writes a beta test plan, runs each test, hands the captured
    failure evidence to fix agents, checks for regressions and stops when the
    vision is delivered or nothing more can be done.
    """
    ctx.obj = Options(repo=repo.resolve(), given_root=sprints_root)


@cli.command()
@sprint_argument
@pass_options
def init(opts: Options, /, sprint: str) -> int:
    """Scaffold a new sprint: VISION.md and PRD.md templates to fill in.

    Creates <sprints-root>/SPRINT/ with templates that explain what to write,
    never overwrites an existing file, and adds .loopd/ to .gitignore.
    """
    from loopd.commands.init import init as run

    return run(repo=opts.repo, sprints_root=opts.sprints_root, sprint=sprint)


@cli.command()
@click.argument("sprint", required=False)
@json_option
@pass_options
def status(opts: Options, /, sprint: str | None, as_json: bool) -> int:
    """Show a sprint's phase, iteration, gates, tasks and tests.

    Reads LOOP_STATE.md and the plans; works whether or not a daemon runs.
    Without SPRINT, lists the sprints found under the sprints root.
    """
    from loopd.commands.status import status as run

    return run(repo=opts.repo, sprints_root=opts.sprints_root, sprint=sprint, as_json=as_json)


@cli.command()
@click.argument("sprint", required=False)
@json_option
@pass_options
def doctor(opts: Options, /, sprint: str | None, as_json: bool) -> int:
    """Check that everything loopd needs is here, and say how to fix what is not.

    Checks git, bash, the configured agent binary, docker (client and engine)
    and, given SPRINT, the sprint's documents and config.  Exits 1 when
    something required is missing.
    """
    from loopd.commands.doctor import doctor as run

    return run(repo=opts.repo, sprints_root=opts.sprints_root, sprint=sprint, as_json=as_json)


@cli.command()
@sprint_argument
@iterations_argument
@click.option("--foreground", is_flag=True, help="Stay attached and show live progress.")
@click.option("--once", is_flag=True, help="Exit when the loop ends instead of watching.")
@no_watch_option
@max_iterations_option
@in_place_option
@pass_options
def start(
    opts: Options,
    /,
    *,
    sprint: str,
    iterations: int | None,
    foreground: bool,
    once: bool,
    no_watch: bool,
    max_iterations: int | None,
    in_place: bool,
) -> int:
    """Start the loop daemon for SPRINT, which watches the sprint's files afterwards.

    Detaches a daemon (a new session running `loopd run --watch`), prints its
    pid and returns at once; --foreground stays attached.  The daemon's
    output goes to .loopd/SPRINT/daemon.log: follow it with `loopd logs -f
    SPRINT`.

    Git: the loop works in its own git worktree and branch,
    loop-v2/SPRINT-<time> (see README, "What loopd does with your git
    repository"), and commits there, never on a protected branch
    (git.protected_branches: main master develop).

    The loop resumes where LOOP_STATE.md says it was.  When the loop ends the
    daemon stays up and runs it again when files change; --once (or
    --no-watch) makes it exit with the loop's exit code instead.  After a
    stop (a fault, a budget, stuck) it exits; `loopd status SPRINT` says why
    and how to go on.  N limits the test iterations, as --max-iterations
    does.  One daemon per sprint.
    """
    from loopd.commands.start import start as run_start

    return run_start(
        repo=opts.repo,
        sprints_root=opts.sprints_root,
        sprint=sprint,
        foreground=foreground,
        watch=not (once or no_watch),
        max_iterations=iteration_limit(iterations, max_iterations),
        in_place=in_place,
    )


@cli.command()
@sprint_argument
@iterations_argument
@click.option("--once", is_flag=True, help="Exit when the loop ends (the default).")
@watch_option
@no_watch_option
@max_iterations_option
@in_place_option
@pass_options
def run(
    opts: Options,
    /,
    *,
    sprint: str,
    iterations: int | None,
    once: bool,
    watch: bool,
    no_watch: bool,
    max_iterations: int | None,
    in_place: bool,
) -> int:
    """Run the loop for SPRINT in this process and exit with its exit code.

    `loopd run SPRINT [N]` is loop-v2's `loop.sh SPRINT [N]`: N (or
    --max-iterations) limits the test iterations.  Exit codes: 0 full
    success, 2 partial (some blocked), 1 incomplete or stopped (limits,
    budget, stuck, infrastructure), 130 interrupted.  --watch stays up
    afterwards and runs the loop again when files change (what the daemon
    does) until `loopd stop`; --once is the default, kept for scripts.
    """
    from loopd.commands.run import run as run_loop

    refuse_both(("--once", once), ("--watch", watch))
    refuse_both(("--no-watch", no_watch), ("--watch", watch))
    return run_loop(
        repo=opts.repo,
        sprints_root=opts.sprints_root,
        sprint=sprint,
        watch=watch,
        max_iterations=iteration_limit(iterations, max_iterations),
        in_place=in_place,
    )


@cli.command()
@sprint_argument
@click.option("--now", is_flag=True, help="Escalate to SIGKILL instead of waiting for the step.")
@pass_options
def stop(opts: Options, /, *, sprint: str, now: bool) -> int:
    """Stop SPRINT's daemon: end the current step cleanly and persist state.

    The interrupted step runs again on the next start.  --now kills the
    daemon and every process it started if it has not stopped within seconds.
    """
    from loopd.commands.stop import stop as run_stop

    return run_stop(repo=opts.repo, sprints_root=opts.sprints_root, sprint=sprint, now=now)


@cli.command()
@sprint_argument
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines as they arrive.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the events (events.jsonl: one JSON object per line) instead of the log.",
)
@click.option(
    "-n",
    "--lines",
    type=click.IntRange(min=0),
    help="Start with only the last N lines (default: all).",
)
@pass_options
def logs(opts: Options, /, *, sprint: str, follow: bool, as_json: bool, lines: int | None) -> int:
    """Print SPRINT's daemon log (-f: follow it while the daemon runs).

    --json prints the sprint's events instead: every transition, agent call,
    test result and commit, one JSON object per line, also for a foreground
    `loopd run`.  Combine with -f and -n, e.g. `loopd logs S --json -f -n 20`.
    """
    from loopd.commands.logs import logs as run_logs

    return run_logs(
        repo=opts.repo,
        sprints_root=opts.sprints_root,
        sprint=sprint,
        follow=follow,
        as_json=as_json,
        lines=lines,
    )


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@pass_options
def graph(opts: Options, /, *, fmt: Literal["mermaid", "dot"], output: Path | None) -> int:
    """Draw the loop's state machine from phases/loop.yaml (mermaid or dot)."""
    from loopd.commands.graph import graph as run_graph

    return run_graph(fmt=fmt, output=output)


@cli.command()
@click.option(
    "--keep", type=click.Path(file_okay=False, path_type=Path), help="Run in DIR and keep it."
)
@pass_options
def demo(opts: Options, /, *, keep: Path | None) -> int:
    """Run the example sprint offline in a throwaway repo, start to finish.

    Copies sprints/demo (a small word-count CLI with its sprint documents and
    a scripted agent for every role) into a fresh git repository, runs the
    whole loop attached, and prints a summary.  --keep DIR runs it in DIR
    (which must be new or empty) and leaves it there to look at.
    """
    from loopd.commands.demo import demo as run_demo

    return run_demo(keep=keep)


@cli.command()
@sprint_argument
@json_option
@pass_options
def regression(opts: Options, /, *, sprint: str, as_json: bool) -> int:
    """Re-run SPRINT's passing tests that have a command, with no agent call.

    Tests with a cmd or E2E annotation, or a REPRO command an agent taught
    loopd, run as subprocesses in parallel.  A regression resets the test to
    pending, adds a REG-<test> task and is logged in REGRESSION_LOG.md.
    Exit 1 when anything regressed.
    """
    from loopd.commands.regression import regression as run_regression

    return run_regression(
        repo=opts.repo, sprints_root=opts.sprints_root, sprint=sprint, as_json=as_json
    )


@cli.command()
@sprint_argument
@click.argument("action", type=click.Choice(["up", "down", "status"]), default="status")
@json_option
@pass_options
def services(
    opts: Options, /, *, sprint: str, action: Literal["up", "down", "status"], as_json: bool
) -> int:
    """Check SPRINT's services by hand: bring them up, down, or show their state.

    Services come from the sprint's services.yaml or services.yml (loopd's
    format or loop-v2's), a compose file, loop-v2's package.json scripts
    (dev:api, dev:backend, start:api; dev:frontend, dev) or a Makefile serve/run
    target, as services.version (LOOP_SERVICES_VERSION) says.  up and status
    exit 1 when a service is not running; down stops only what loopd started.
    """
    from loopd.commands.services import services as run_services

    return run_services(
        repo=opts.repo,
        sprints_root=opts.sprints_root,
        sprint=sprint,
        action=action,
        as_json=as_json,
    )


@cli.group()
def prompts() -> None:
    """List, show and render the prompt templates loopd sends to agents."""


@prompts.command("list")
@click.option("--sprint", help="Include SPRINT's own prompts/ overrides.")
@json_option
@pass_options
def prompts_list(opts: Options, /, sprint: str | None, as_json: bool) -> int:
    """Each prompt name and the template file that wins the lookup.

    Lookup order: <sprint dir>/prompts/ > .loopd/prompts/ > loopd's defaults.
    """
    from loopd.commands.prompts import prompts_list as run

    return run(repo=opts.repo, sprints_root=opts.sprints_root, sprint=sprint, as_json=as_json)


@prompts.command("show")
@click.argument("name")
@click.option("--sprint", help="Look in SPRINT's own prompts/ first.")
@pass_options
def prompts_show(opts: Options, /, name: str, sprint: str | None) -> int:
    """Print the template source that would be used for NAME."""
    from loopd.commands.prompts import prompts_show as run

    return run(repo=opts.repo, sprints_root=opts.sprints_root, name=name, sprint=sprint)


@prompts.command("render")
@click.argument("name")
@click.option("--sprint", required=True, help="Sprint whose live context to render with.")
@click.option("--task", help="Task ID for the task context.")
@click.option("--test", help="Test ID for the test context.")
@click.option(
    "--vrc",
    type=click.Choice(["vrc1", "vrc2", "periodic", "final"]),
    help="Which vision reality check (for the vrc prompt).",
)
@pass_options
def prompts_render(
    opts: Options,
    /,
    *,
    name: str,
    sprint: str,
    task: str | None,
    test: str | None,
    vrc: VrcKind | None,
) -> int:
    """Render NAME with the sprint's live context, exactly as an agent would get it."""
    from loopd.commands.prompts import prompts_render as run

    return run(
        repo=opts.repo,
        sprints_root=opts.sprints_root,
        name=name,
        sprint=sprint,
        task=task,
        test=test,
        vrc=vrc,
    )


def _accept_location_options(group: click.Group) -> None:
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _accept_location_options(command)
        command.params.extend(_location_options())


_accept_location_options(cli)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and map every outcome to an exit code."""
    try:
        result = cli.main(args=argv, prog_name="loopd", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("loopd: interrupted", err=True)
        return EXIT_INTERRUPTED
    except LoopdError as exc:
        click.echo(f"loopd: error: {exc}", err=True)
        return EXIT_USER_ERROR
    except Exception:
        return crash.report(sys.exc_info())
    return result if isinstance(result, int) else 0
