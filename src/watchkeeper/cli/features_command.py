"""``watchkeeper features fit | compute | check-parity`` and ``watchkeeper skew-check``.

The spec comes from the workspace's ``features:`` section; ``--spec FITTED.json`` gives a
fitted spec instead (what a model version is served with). Inputs are Parquet or CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.engine_option import EngineOption, compute_config
from watchkeeper.cli.output import emit_json, stderr, stdout
from watchkeeper.clock import parse_instant

if TYPE_CHECKING:
    from watchkeeper.features.comparison import ColumnComparison
    from watchkeeper.features.skew import SkewReport

features_app = typer.Typer(
    name="features",
    help="Fit features, compute them with the batch or online engine, and check their parity.",
    no_args_is_help=True,
)
app.add_typer(features_app)

InputOption = Annotated[
    Path, typer.Option("--input", "-i", help="Raw events: a .parquet or .csv file.", dir_okay=False)
]
SpecOption = Annotated[
    Path | None,
    typer.Option(
        "--spec",
        help="A fitted spec (JSON) to use instead of fitting on the input.",
        dir_okay=False,
    ),
]
InvalidOption = Annotated[
    str,
    typer.Option("--invalid", help="Rows that break the schema: fail (default) or quarantine."),
]


@features_app.command("fit")
def fit_command(
    input_path: InputOption,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Where to write the fitted spec (JSON).", dir_okay=False),
    ],
    invalid: InvalidOption = "fail",
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Learn vocabularies and statistics from training events; write the fitted spec."""
    from watchkeeper.application.feature_files import feature_policy, fit_file

    fitted = fit_file(workspace, input_path, feature_policy(invalid))
    digest = fitted.save(out)
    result = {
        "fitted_spec": out,
        "content_hash": digest,
        "training_rows": fitted.training_rows,
        "features": len(fitted.output_columns),
    }
    if json_output:
        emit_json(result)
        return
    stdout.print(
        f"fitted {len(fitted.spec.transforms)} features on {fitted.training_rows:,} rows -> "
        f"{escape(str(out))}"
    )
    stdout.print(f"  content hash {digest}")


@features_app.command("compute")
def compute_command(
    input_path: InputOption,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the features: a .parquet or .csv file, or (with --engine "
            "spark) a new folder of Parquet files written by the executors.",
        ),
    ],
    mode: Annotated[
        str, typer.Option("--mode", "-m", help="batch (whole history) or online (event by event).")
    ] = "batch",
    spec_path: SpecOption = None,
    invalid: InvalidOption = "fail",
    rejected_out: Annotated[
        Path | None,
        typer.Option(
            "--rejected",
            help="With --invalid quarantine: where to write rejected rows (.parquet or .csv).",
            dir_okay=False,
        ),
    ] = None,
    engine: EngineOption = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Compute every feature of every event: event_id and a column per feature (Parquet, CSV)."""
    from watchkeeper.application.feature_files import compute_file, feature_mode, feature_policy
    from watchkeeper.features.input_files import check_output_suffix, write_features

    checked_mode = feature_mode(mode)
    compute = compute_config(workspace, engine)
    if rejected_out is not None:
        check_output_suffix(rejected_out)
    fitted, written = compute_file(
        workspace,
        spec_path,
        input_path,
        out,
        mode=checked_mode,
        compute=compute,
        policy=feature_policy(invalid),
        status=_status,
        progress=lambda total: _progress(total, "replaying events through the online engine"),
    )
    rows, columns, rejected = written.rows, written.columns, written.rejected
    target = None
    if rejected.height:
        target = rejected_out or out.with_name(f"{out.stem}.rejected{out.suffix or '.parquet'}")
        write_features(rejected, target)
    summary = {
        "mode": mode,
        "engine": compute.engine if mode == "batch" else "online",
        "rows": rows,
        "columns": columns,
        "rejected_rows": rejected.height,
        "out": out,
        "rejected_out": target,
        "fitted_spec_hash": fitted.content_hash,
    }
    if json_output:
        emit_json(summary)
        return
    stdout.print(
        f"{summary['rows']:,} rows x {summary['columns']} features ({mode}) -> {escape(str(out))}"
    )
    if target is not None:
        stdout.print(f"{rejected.height:,} rows broke the schema -> {escape(str(target))}")


@features_app.command("check-parity")
def check_parity_command(
    input_path: InputOption,
    spec_path: SpecOption = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Run both engines on your events and compare every feature of every row (exit 1 if any differ)."""
    from watchkeeper.application.feature_files import fitted_and_events
    from watchkeeper.features import check_parity

    fitted, frame = fitted_and_events(workspace, spec_path, input_path)
    with _progress(frame.height, "online engine") as advance:
        report = check_parity(fitted, frame, progress=advance)
    if json_output:
        emit_json(report.to_dict())
    else:
        _print_comparisons("parity: online engine against batch engine", report.features)
        verdict = "[green]ok[/]: every feature agrees" if report.ok else "[red]mismatches found[/]"
        stdout.print(
            f"{verdict} on {report.rows:,} rows ({report.rejected_rows:,} rejected by the schema)"
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command("skew-check")
def skew_check_command(
    spec_path: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="A fitted spec (JSON) to check against; default: the spec the served version "
            "(--model-version, or the champion) was registered with.",
            dir_okay=False,
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First event time (ISO-8601), inclusive.")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last event time (ISO-8601), exclusive.")] = None,
    threshold: Annotated[
        float, typer.Option(help="Highest acceptable mismatch rate per feature.", min=0.0)
    ] = 0.001,
    model_version: Annotated[
        int | None, typer.Option("--model-version", help="Only this model version's predictions.")
    ] = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Recompute served features from logged raw inputs and compare (exit 1 above the threshold,
    or when no row was compared).

    Every served prediction in the range is compared; the event store's raw events of a
    longest window before it are the recomputation's history. Rows served just after a cold
    start (an online state not filled from the history) are reported apart as the warm-up.

    Mismatch rates go to the metric series as ``skew_mismatch_rate`` and the skew alert rules
    run at once, so the model's owner hears of skew through the usual channels.
    """
    from watchkeeper.application.skew_check import skew_check
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        checked = skew_check(
            opened,
            spec_path=spec_path,
            start=_instant("--start", start),
            end=_instant("--end", end),
            model_version=model_version,
            threshold=threshold,
        )
    report = checked.report
    if json_output:
        emit_json(
            {
                **report.to_dict(),
                "alerts": [
                    {"action": outcome.action, "summary": outcome.evaluation.describe()}
                    for outcome in checked.changed
                ],
            }
        )
    else:
        _print_skew(report)
        for outcome in checked.fired:
            stdout.print(f"[red]alert[/] {outcome.action}: {escape(outcome.evaluation.describe())}")
    if not report.ok:
        raise typer.Exit(1)


def _print_skew(report: SkewReport) -> None:
    if report.problem is not None:
        stdout.print(f"[red]failed[/]: {escape(report.problem)}")
        return
    _print_comparisons("skew: served features against batch recomputation", report.features)
    stdout.print(
        f"{report.compared_rows:,} of {report.rows:,} logged predictions compared, with "
        f"{report.history_rows:,} earlier raw events from the event store as history"
    )
    if report.warm_up_rows and report.cold_since is not None:
        early = sum(item.mismatches for item in report.warm_up_features)
        stdout.print(
            f"  warm-up: the service started with an unfilled online state at "
            f"{report.cold_since.isoformat()}; {report.warm_up_rows:,} rows served within the "
            f"longest window after it hold {early:,} of the mismatches (fill the state with "
            "'watchkeeper features backfill-state' before serving)"
        )
    for name, count in report.without_history.items():
        if count:
            stdout.print(
                f"  {escape(name)}: {count:,} rows without an earlier event in what was read, "
                "not compared"
            )
    if report.ok:
        stdout.print(f"[green]ok[/]: no feature above the mismatch threshold {report.threshold}")
    else:
        stdout.print(
            f"[red]skew[/] above {report.threshold}: {escape(', '.join(report.skewed_features))}"
        )


def _instant(option: str, text: str | None) -> datetime | None:
    return None if text is None else parse_instant(option, text)


def progress_bar() -> Progress:
    """The commands' progress bar, on stderr, gone once done."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )


@contextmanager
def _progress(total: int, description: str) -> Iterator[Callable[[int], None]]:
    with progress_bar() as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.advance(task, done)


@contextmanager
def _status(message: str) -> Iterator[None]:
    with stderr.status(message):
        yield


def _print_comparisons(title: str, comparisons: list[ColumnComparison]) -> None:
    table = Table(title=title)
    for column in ("feature", "compared", "mismatches", "rate", "largest difference"):
        table.add_column(column, justify="left" if column == "feature" else "right")
    for item in comparisons:
        style = "red" if item.mismatches else ""
        largest = "" if item.largest_difference is None else f"{item.largest_difference:.3g}"
        table.add_row(
            escape(item.name),
            f"{item.compared:,}",
            f"{item.mismatches:,}",
            f"{item.mismatch_rate:.4%}",
            largest,
            style=style,
        )
    stdout.print(table)


__all__ = [
    "check_parity_command",
    "compute_command",
    "features_app",
    "fit_command",
    "progress_bar",
    "skew_check_command",
]
