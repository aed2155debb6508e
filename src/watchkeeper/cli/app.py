"""The ``watchkeeper`` command: the Typer application, shared options and error handling.

A user's mistake (bad configuration, missing file, bad option value) prints one line to
stderr and exits with code 2 — never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.output import stderr
from watchkeeper.errors import WatchkeeperError

EXIT_USER_ERROR = 2

app = typer.Typer(
    name="watchkeeper",
    help=(
        "Keep a production ML model honest: unified features, monitoring with delayed labels, "
        "drift-triggered retraining, canary rollout and lineage."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

WorkspaceOption = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="The workspace folder (holding watchkeeper.yaml).",
        envvar="WATCHKEEPER_WORKSPACE",
        file_okay=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable JSON result on stdout.")
]


def main(arguments: list[str] | None = None) -> int:
    """Run the command line; return (and, as a console script, exit with) its exit code.

    >>> main(["--version"])
    watchkeeper 0.1.0
    0
    """
    try:
        app(args=arguments, prog_name="watchkeeper")
        code = 0
    except SystemExit as finished:  # Typer ends every run, usage errors included, this way
        code = finished.code if isinstance(finished.code, int) else int(finished.code is not None)
    except WatchkeeperError as error:
        stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        code = EXIT_USER_ERROR
    if arguments is None:  # run as the console script
        sys.exit(code)
    return code


def version_callback(value: bool) -> None:
    """Print the version and stop."""
    if value:
        from watchkeeper import __version__

        typer.echo(f"watchkeeper {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Keep a production ML model honest."""


__all__ = ["EXIT_USER_ERROR", "JsonOption", "WorkspaceOption", "app", "main"]
