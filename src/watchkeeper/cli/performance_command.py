"""``watchkeeper performance``: a model's performance on any two datasets, chunk by chunk.

Realized where the current data has targets, estimated before them with ``--estimate`` (CBPE
for classification, direct loss estimation for regression, fitted on the reference). Each
value is judged by the reference's own chunk-to-chunk band; ``--fail-on`` exits 1 on an
alert, bad input exits 2 with one line. Only Typer and Rich load at start-up.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.app import JsonOption, app
from watchkeeper.cli.output import emit_json, format_number, stderr, stdout
from watchkeeper.cli.verdicts import (
    ChunkPeriodOption,
    ChunkSizeOption,
    ChunksOption,
    CurrentOption,
    ExcludeOption,
    FailOnOption,
    HtmlOption,
    MinChunkRowsOption,
    ReferenceOption,
    RoleOption,
    exit_if_reached,
    fail_level,
    listed,
    styled,
    write_page,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from watchkeeper.analysis.results import AnalysisResult


@app.command()
def performance(
    reference: ReferenceOption,
    current: CurrentOption,
    task: Annotated[
        str | None,
        typer.Option(
            metavar="binary|multiclass|regression", help="The model's task (default: inferred)."
        ),
    ] = None,
    estimate: Annotated[
        bool,
        typer.Option("--estimate", help="Estimate the performance without the current targets."),
    ] = False,
    json_output: JsonOption = False,
    html: HtmlOption = None,
    target_column: Annotated[
        str | None, typer.Option(metavar="COLUMN", help="The targets (default: by name).")
    ] = None,
    prediction_column: Annotated[
        str | None,
        typer.Option(
            metavar="COLUMN",
            help="The model's prediction: binary 0/1 decision, class or number.",
        ),
    ] = None,
    score_column: Annotated[
        str | None, typer.Option(metavar="COLUMN", help="Binary: the model's score.")
    ] = None,
    probability_column: Annotated[
        list[str] | None,
        typer.Option(
            metavar="COLUMN",
            help="Multiclass: one column of class probabilities (struct or JSON), or one per "
            "class (repeatable).",
        ),
    ] = None,
    timestamp_column: Annotated[
        str | None, typer.Option(metavar="COLUMN", help="The rows' time (for --chunk-period).")
    ] = None,
    exclude: ExcludeOption = None,
    role: RoleOption = None,
    fail_on: FailOnOption = None,
    chunk_size: ChunkSizeOption = None,
    chunks: ChunksOption = None,
    chunk_period: ChunkPeriodOption = None,
    min_chunk_rows: MinChunkRowsOption = 100,
) -> None:
    """Realized (or estimated) performance per chunk against the reference's band.

    Binary: precision, recall, F1, ROC AUC, PR AUC; multiclass: accuracy, macro and weighted
    F1 (and ROC AUC realized); regression: MAE, RMSE, MAPE, bias, R² (MAE and RMSE
    estimated). Columns are found by name (target, label, prediction, score, proba_<class>...)
    unless given. The reference needs its targets: they set the band (a value outside the mean
    ± 3 standard deviations of the reference's own chunks alerts) and fit the estimator.
    Without chunk options the whole current file is one chunk.
    """
    from watchkeeper.analysis.reference import Reference
    from watchkeeper.monitoring.profiles.column_roles import parse_role

    level = fail_level(fail_on)
    probabilities: str | list[str] | None = None
    if probability_column:
        probabilities = (
            probability_column[0] if len(probability_column) == 1 else probability_column
        )
    analysed = Reference(
        _read(reference),
        task=task,
        target=target_column,
        prediction=prediction_column,
        score=score_column,
        probabilities=probabilities,
        timestamp=timestamp_column,
        exclude=listed(exclude),
        roles=dict(parse_role(text) for text in role or ()),
        min_chunk_rows=min_chunk_rows,
    )
    spec: dict[str, Any] = {
        key: value
        for key, value in (("size", chunk_size), ("number", chunks), ("period", chunk_period))
        if value is not None
    }
    data = _read(current)
    chunking = spec or None
    result = analysed.estimate(data, chunking) if estimate else analysed.performance(data, chunking)
    if html is not None:
        what = "Estimated" if estimate else "Realized"
        write_page(
            html, result.to_html(f"{what} performance: {current.name} against {reference.name}")
        )
    if json_output:
        emit_json(result.to_dict())
    else:
        _print_result(result)
    exit_if_reached(result.verdict, level)


def _read(path: Path) -> pa.Table:
    from watchkeeper.monitoring.comparison.dataset_files import open_dataset, read_table

    dataset = open_dataset(path)
    return read_table(dataset, dataset.schema.names)


def _print_result(result: AnalysisResult) -> None:
    from watchkeeper.metric_names import ESTIMATED_PREFIX

    what = "estimated" if result.kind == "estimate" else "realized"
    table = Table(title=f"{what} performance per chunk", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("chunk", "from", "rows", "metric", "value", "95% interval", "band"):
        left = column in ("from", "metric")
        table.add_column(column, justify="left" if left else "right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for row in result.rows:
        table.add_row(
            str(row.chunk), _bound(row.start), f"{row.rows:,}",
            escape(row.method.removeprefix(ESTIMATED_PREFIX)), format_number(row.value),
            _range(row.confidence_low, row.confidence_high),
            _range(row.lower_threshold, row.threshold), styled(str(row.verdict)),
        )  # fmt: skip
    console = stdout if stdout.is_terminal else Console(width=120, highlight=False, soft_wrap=True)
    console.print(table)
    context = result.context
    for key in ("band", "assumption"):
        if key in context:
            stdout.print(f"[dim]{escape(str(context[key]))}[/]")
    unjudged = sum(1 for row in result.rows if row.verdict in ("no_data", "unjudged"))
    if unjudged:
        stderr.print(
            f"{unjudged} values not judged (no_data: the chunk cannot give them; unjudged: "
            "the reference gives no band)",
            markup=False,
        )
    stdout.print(
        f"task {result.task}, {result.chunks} chunks, reference {context['reference_rows']:,} "
        f"rows, current {context['current_rows']:,} rows: {styled(result.verdict)}"
    )


def _range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "-"
    return f"[{format_number(low)}, {format_number(high)}]"


def _bound(value: object) -> str:
    """A chunk's start: its first row, or its first moment (to the minute)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return f"row {value}"


__all__ = ["performance"]
