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
from watchkeeper.cli.output import emit_json, stderr, stdout

if TYPE_CHECKING:
    from watchkeeper.config import MonitoringConfig
    from watchkeeper.monitoring.quality import Range
    from watchkeeper.monitoring.report import DriftReport

_VERDICT_STYLE = {"ok": "green", "warn": "yellow", "alert": "bold red"}


@app.command()
def drift(
    reference: Annotated[
        Path, typer.Option("--reference", "-r", help="The reference data (Parquet or CSV).")
    ],
    current: Annotated[
        Path, typer.Option("--current", "-c", help="The data to check (Parquet or CSV).")
    ],
    json_output: JsonOption = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", help="Also write a self-contained HTML report here.", dir_okay=False
        ),
    ] = None,
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
) -> None:
    """Compare two datasets feature by feature: PSI, Jensen-Shannon, KS, Wasserstein, chi-square.

    Types are inferred (strings, booleans and integers with few values are categorical) unless
    given with --categorical. The verdict comes from PSI (warn 0.1, alert 0.25 unless the
    workspace says otherwise); p-values are reported but never decide.
    """
    from watchkeeper.monitoring.file_comparison import ComparisonOptions, compare_files

    monitoring, ranges = _workspace_settings(workspace)
    options = ComparisonOptions(
        features=_names(features),
        categorical=_names(categorical) or (),
        monitoring=monitoring,
        ranges=ranges,
        multivariate=multivariate,
    )
    report = compare_files(reference, current, options)
    if html is not None:
        _write_html(report, html, f"Drift: {current.name} against {reference.name}")
    if json_output:
        emit_json(report.to_dict())
        return
    _print_report(report)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _workspace_settings(root: Path | None) -> tuple[MonitoringConfig, dict[str, Range]]:
    from watchkeeper.config import MonitoringConfig

    if root is None:
        return MonitoringConfig(), {}
    from watchkeeper.config import CONFIG_FILE_NAME, load_config
    from watchkeeper.monitoring.quality import schema_ranges

    config = load_config(root / CONFIG_FILE_NAME)
    return config.monitoring, schema_ranges(config.features.inputs)


def _write_html(report: DriftReport, path: Path, title: str) -> None:
    from watchkeeper.errors import DatasetError
    from watchkeeper.monitoring.html import render_html

    try:
        path.write_text(render_html(report, title), encoding="utf-8")
    except OSError as error:
        raise DatasetError(f"--html {path}: cannot write ({error.strerror})") from None
    stderr.print(f"HTML report written to {path}", markup=False)


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.0e}"
    return f"{value:.3f}"


def _print_report(report: DriftReport) -> None:
    table = Table(title="drift, current against reference", box=box.SIMPLE_HEAD, pad_edge=False)
    widest = max((len(item.feature) for item in report.features), default=7)
    table.add_column("feature", min_width=min(widest, 40), overflow="fold")
    table.add_column("type", no_wrap=True)
    for column in ("PSI", "JS", "KS", "KS p", "W/std", "χ² p", "warn/alert"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for item in report.features:
        style = _VERDICT_STYLE[item.verdict]
        table.add_row(
            escape(item.feature), item.type, _cell(item.psi), _cell(item.js_distance),
            _cell(item.ks_statistic), _cell(item.ks_pvalue), _cell(item.wasserstein),
            _cell(item.chi2_pvalue), f"{item.warn_threshold:g}/{item.threshold:g}",
            f"[{style}]{item.verdict}[/]",
        )  # fmt: skip
    # piped output has no terminal width to respect: give the table the room it needs
    console = stdout if stdout.is_terminal else Console(width=120, highlight=False, soft_wrap=True)
    console.print(table)
    if report.multivariate is not None:
        result = report.multivariate
        style = _VERDICT_STYLE[result.verdict]
        stdout.print(
            f"multivariate (domain classifier): ROC AUC {result.roc_auc:.3f} "
            f"± {result.roc_auc_std:.3f}, warn / alert {result.warn_threshold:g} / "
            f"{result.threshold:g}: [{style}]{result.verdict}[/]"
        )
    for name, reason in report.skipped.items():
        stdout.print(f"[dim]skipped {escape(name)}: {escape(reason)}[/]")
    style = _VERDICT_STYLE[report.verdict]
    stdout.print(
        f"{len(report.features)} features, reference {report.reference_rows:,} rows, current "
        f"{report.current_rows:,} rows: [{style}]{report.verdict}[/]"
    )


__all__ = ["drift"]
