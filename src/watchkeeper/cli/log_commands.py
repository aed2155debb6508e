"""``watchkeeper log predictions|outcomes --file F``: a team's own logs, into the workspace.

For a model served outside watchkeeper (``model.serving: external``), or any history to
monitor: the file's rows are checked by the workspace's rules, good rows are logged, bad
rows go to ``rejections`` with their reasons, and rows logged before count once, so logging
the same file twice changes nothing. ``--column theirs=ours`` maps the file's column names.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stderr, stdout
from watchkeeper.intake import DEFAULT_BATCH_ROWS

if TYPE_CHECKING:  # the checks import Polars and Arrow: not for --help
    from watchkeeper.intake.event_log import LogSummary


log_app = typer.Typer(
    name="log",
    help="Log a team's own predictions or outcomes from a Parquet or CSV file.",
    no_args_is_help=True,
)
app.add_typer(log_app)

FileOption = Annotated[
    Path,
    typer.Option("--file", "-f", help="A Parquet (.parquet) or CSV (.csv) file.", dir_okay=False),
]
ColumnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        "-c",
        help="Map a column of the file to watchkeeper's name: THEIRS=OURS (repeatable).",
    ),
]
BatchOption = Annotated[
    int, typer.Option("--batch-rows", help="Rows read and logged at a time.", min=1)
]


@log_app.command("predictions")
def log_predictions(
    file: FileOption,
    column: ColumnOption = None,
    model_label: Annotated[
        str | None,
        typer.Option(
            "--model-label",
            help="The model version label of every row, when the file has no model_label.",
        ),
    ] = None,
    batch_rows: BatchOption = DEFAULT_BATCH_ROWS,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Log predictions a model served elsewhere made: keys, inputs, version label and the
    task's prediction (binary score and decision; multiclass probabilities; regression
    prediction)."""
    _log("predictions", file, column or [], model_label, batch_rows, workspace, json_output)


@log_app.command("outcomes")
def log_outcomes(
    file: FileOption,
    column: ColumnOption = None,
    batch_rows: BatchOption = DEFAULT_BATCH_ROWS,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Log outcomes (event_id, outcome, outcome_ts; optionally amount and received_at,
    which defaults to outcome_ts: a historical outcome is known when it happened)."""
    _log("outcomes", file, column or [], None, batch_rows, workspace, json_output)


def _log(
    table: Literal["predictions", "outcomes"],
    file: Path,
    columns: list[str],
    model_label: str | None,
    batch_rows: int,
    workspace: Path,
    json_output: bool,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from watchkeeper.intake.frames import parse_column_mapping
    from watchkeeper.intake.workspace_log import log_file
    from watchkeeper.workspace import Workspace

    mapping = parse_column_mapping(columns)
    with Workspace.open(workspace) as opened:
        shown = (TextColumn(f"logging {table}"), BarColumn(), MofNCompleteColumn())
        with Progress(*shown, TimeElapsedColumn(), console=stderr, transient=True) as bar:
            task = bar.add_task(table, total=None)

            def progress(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            summary = log_file(
                opened.event_log, table, file, mapping, model_label, batch_rows, progress
            )
    if json_output:
        emit_json(summary.to_dict())
        return
    stdout.print(_summary_line(summary, file))


def _summary_line(summary: LogSummary, file: Path) -> str:
    line = (
        f"{file}: {summary.rows:,} row(s) read, {summary.logged:,} logged into "
        f"{summary.table}, {summary.repeated:,} already logged, {summary.refused:,} refused"
    )
    if summary.reasons:
        reasons = ", ".join(
            f"{reason} {count:,}" for reason, count in sorted(summary.reasons.items())
        )
        line += f" ({reasons}; see the rejections table)"
    return line


__all__ = ["log_outcomes", "log_predictions"]
