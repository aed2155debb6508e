"""``watchkeeper drift``: compare any two datasets (Parquet or CSV), feature by feature.

Only Typer and Rich load at start-up; the monitoring code (NumPy, Arrow, sketches) loads when
the command runs, and scikit-learn only with ``--multivariate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from watchkeeper.cli.app import JsonOption, app
from watchkeeper.cli.engine_option import EngineOption, compute_config
from watchkeeper.cli.output import emit_json, format_number, stdout
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
    from watchkeeper.config import MonitoringConfig
    from watchkeeper.monitoring.comparison.chunks import Chunking
    from watchkeeper.monitoring.comparison.report import DriftReport
    from watchkeeper.monitoring.profiles.column_roles import RoleOptions
    from watchkeeper.monitoring.statistics.quality import Range


@app.command()
def drift(
    reference: ReferenceOption,
    current: CurrentOption,
    json_output: JsonOption = False,
    html: HtmlOption = None,
    features: Annotated[
        str | None, typer.Option(help="Compare only these columns (comma-separated).")
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option(help="Treat these columns as categorical (comma-separated)."),
    ] = None,
    multivariate: Annotated[
        bool,
        typer.Option(
            "--multivariate", help="Also train a reference-vs-current classifier (slower)."
        ),
    ] = False,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Take thresholds, bins and schema ranges from this workspace's file.",
            file_okay=False,
        ),
    ] = None,
    exclude: ExcludeOption = None,
    role: RoleOption = None,
    prediction_column: Annotated[
        list[str] | None,
        typer.Option(metavar="COLUMN", help="A model output: not compared as a feature."),
    ] = None,
    target_column: Annotated[
        list[str] | None,
        typer.Option(metavar="COLUMN", help="A label: not compared as a feature."),
    ] = None,
    timestamp_column: Annotated[
        str | None,
        typer.Option(
            metavar="COLUMN", help="The rows' time: not a feature; --chunk-period uses it."
        ),
    ] = None,
    fail_on: FailOnOption = None,
    verdict: Annotated[
        str | None,
        typer.Option(
            metavar="RULE",
            help=(
                "calibrated (default): each feature's PSI levels from the reference's own "
                "chunk-to-chunk noise at the compared size; fixed: the PSI levels whatever "
                "the size (0.1/0.25, --psi-warn/--psi-alert)."
            ),
        ),
    ] = None,
    psi_warn: Annotated[
        float | None,
        typer.Option(metavar="X", help="PSI warn level (default 0.1; implies --verdict fixed)."),
    ] = None,
    psi_alert: Annotated[
        float | None,
        typer.Option(metavar="Y", help="PSI alert level (default 0.25; implies --verdict fixed)."),
    ] = None,
    chunk_size: ChunkSizeOption = None,
    chunks: ChunksOption = None,
    chunk_period: ChunkPeriodOption = None,
    min_chunk_rows: MinChunkRowsOption = 100,
    engine: EngineOption = None,
) -> None:
    """Compare two datasets feature by feature: PSI, Jensen-Shannon, KS, Wasserstein, chi-square.

    Types are inferred (strings, booleans and integers with few values are categorical) unless
    given with --categorical. Identifiers, timestamps, predictions and targets are left out
    (listed with the reason). The verdict comes from PSI, never from a p-value. By default
    (--verdict calibrated) each feature's levels are calibrated: the reference is cut into 10
    chunks, each chunk's PSI against the rest measures the feature's own noise, and a
    feature warns above mean + 3 sd of that noise (alert: 4 sd) scaled to the compared rows
    (widened by it up to the fixed levels at most), never below a chi-square floor (one
    false warning in 10,000 on identical data) nor below PSI 0.01 (alert 0.02). --verdict fixed uses warn 0.1 and alert 0.25 (or
    --psi-warn/--psi-alert, or the workspace's levels) at any size. KS, its p-value and
    Wasserstein are exact.
    """
    from watchkeeper.monitoring.comparison.file_comparison import ComparisonOptions, compare_files

    level = fail_level(fail_on)
    monitoring, ranges = _workspace_settings(workspace)
    compute = compute_config(workspace, engine)
    options = ComparisonOptions(
        features=_names(features),
        categorical=_names(categorical) or (),
        monitoring=_with_levels(monitoring, psi_warn, psi_alert, verdict),
        ranges=ranges,
        multivariate=multivariate,
        roles=_role_options(exclude, role, prediction_column, target_column, timestamp_column),
        chunking=_chunking(chunk_size, chunks, chunk_period, timestamp_column, min_chunk_rows),
        spark=compute.spark if compute.engine == "spark" else None,
    )
    report = compare_files(reference, current, options)
    if html is not None:
        from watchkeeper.monitoring.comparison.html import render_html

        title = f"Drift: {current.name} against {reference.name}"
        write_page(html, render_html(report, title))
    if json_output:
        emit_json(report.to_dict())
    else:
        _print_report(report)
    exit_if_reached(report.worst_verdict, level)


def _with_levels(
    monitoring: MonitoringConfig, warn: float | None, alert: float | None, rule: str | None
) -> MonitoringConfig:
    from watchkeeper.config.lifecycle import DriftThresholds
    from watchkeeper.errors import DatasetError

    if rule not in (None, "calibrated", "fixed"):
        raise DatasetError(f"--verdict {rule}: give calibrated or fixed")
    if warn is None and alert is None:
        if rule is None:
            return monitoring
        return monitoring.model_copy(update={"drift_verdict": rule})
    if rule == "calibrated":
        raise DatasetError(
            "--psi-warn/--psi-alert set fixed levels: leave out --verdict calibrated, or give "
            "--verdict fixed"
        )
    levels = monitoring.psi
    warn = levels.warn if warn is None else warn
    alert = levels.alert if alert is None else alert
    if warn < 0 or alert < 0:
        raise DatasetError(f"--psi-warn {warn:g} / --psi-alert {alert:g}: levels are not negative")
    if warn > alert:
        raise DatasetError(f"--psi-warn {warn:g} must not exceed --psi-alert {alert:g}")
    thresholds = DriftThresholds(warn=warn, alert=alert, min_window=levels.min_window)
    return monitoring.model_copy(update={"psi": thresholds, "drift_verdict": "fixed"})


def _role_options(
    exclude: list[str] | None,
    roles: list[str] | None,
    prediction: list[str] | None,
    target: list[str] | None,
    timestamp: str | None,
) -> RoleOptions:
    from watchkeeper.monitoring.profiles.column_roles import RoleOptions, parse_role

    return RoleOptions(
        exclude=listed(exclude),
        prediction=listed(prediction),
        target=listed(target),
        timestamp=() if timestamp is None else (timestamp,),
        roles=dict(parse_role(text) for text in roles or ()),
    )


def _chunking(
    size: int | None,
    number: int | None,
    period: str | None,
    timestamp: str | None,
    min_rows: int,
) -> Chunking | None:
    if size is None and number is None and period is None:
        return None
    from watchkeeper.durations import parse_duration
    from watchkeeper.errors import DatasetError
    from watchkeeper.monitoring.comparison.chunks import Chunking

    duration = None
    if period is not None:
        try:
            duration = parse_duration(period)
        except ValueError as error:
            raise DatasetError(f"--chunk-period: {error}") from None
    return Chunking(size, number, duration, timestamp, min_rows)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _workspace_settings(root: Path | None) -> tuple[MonitoringConfig, dict[str, Range]]:
    from watchkeeper.config import MonitoringConfig

    if root is None:
        return MonitoringConfig(), {}
    from watchkeeper.config import CONFIG_FILE_NAME, load_config
    from watchkeeper.monitoring.statistics.quality import schema_ranges

    config = load_config(root / CONFIG_FILE_NAME)
    return config.monitoring, schema_ranges(config.features.inputs)


def _print_report(report: DriftReport) -> None:
    table = Table(title="drift, current against reference", box=box.SIMPLE_HEAD, pad_edge=False)
    widest = max((len(item.feature) for item in report.features), default=7)
    table.add_column("feature", min_width=min(widest, 40), overflow="fold")
    table.add_column("type", no_wrap=True)
    for column in ("PSI", "JS", "KS", "KS p", "W/std", "χ² p", "warn/alert"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for item in report.features:
        table.add_row(
            escape(item.feature), item.type,
            *(format_number(value, missing="-") for value in (
                item.psi, item.js_distance, item.ks_statistic, item.ks_pvalue, item.wasserstein,
                item.chi2_pvalue,
            )),
            f"{item.warn_threshold:.3g}/{item.threshold:.3g}",
            styled(item.verdict),
        )  # fmt: skip
    # piped output has no terminal width to respect: give the table the room it needs
    console = stdout if stdout.is_terminal else Console(width=120, highlight=False, soft_wrap=True)
    console.print(table)
    if report.multivariate is not None:
        result = report.multivariate
        stdout.print(
            f"multivariate (domain classifier): ROC AUC {result.roc_auc:.3f} "
            f"± {result.roc_auc_std:.3f}, warn / alert {result.warn_threshold:g} / "
            f"{result.threshold:g}: {styled(result.verdict)}"
        )
    for name, reason in report.excluded.items():
        stdout.print(f"[dim]excluded {escape(name)}: {escape(reason)}[/]")
    for name, reason in report.skipped.items():
        stdout.print(f"[dim]skipped {escape(name)}: {escape(reason)}[/]")
    for name, note in report.notes.items():
        stdout.print(f"[dim]note {escape(name)}: {escape(note)}[/]")
    if report.chunks:
        _print_chunks(report, console)
    stdout.print(
        f"{len(report.features)} features, reference {report.reference_rows:,} rows, current "
        f"{report.current_rows:,} rows, {report.verdict_rule} PSI levels: "
        f"{styled(report.verdict)}"
    )


def _print_chunks(report: DriftReport, console: Console) -> None:
    """One line per chunk: its bounds, rows, verdict and the features at warn or above."""
    table = Table(title="chunks", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("chunk", "start", "end", "rows"):
        table.add_column(column, justify="right" if column in ("chunk", "rows") else "left")
    table.add_column("verdict", no_wrap=True)
    table.add_column("features at warn or alert (PSI)", overflow="fold")
    for chunk in report.chunks:
        flagged = ", ".join(
            f"{item.feature} {format_number(item.psi)}"
            for item in chunk.features
            if item.verdict != "ok"
        )
        table.add_row(
            str(chunk.chunk), _bound(chunk.start), _bound(chunk.end), f"{chunk.rows:,}",
            styled(chunk.verdict), escape(flagged),
        )  # fmt: skip
    console.print(table)


def _bound(value: object) -> str:
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else str(value)


__all__ = ["drift"]
