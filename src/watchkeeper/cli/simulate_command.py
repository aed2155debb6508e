"""``watchkeeper simulate``: generate traffic and its late outcomes, to files or into a workspace.

The card-fraud presets (``case-study`` and its parts) simulate transactions and chargebacks;
``churn``, ``demand`` and ``triage`` simulate the other examples' events and outcomes, and
with ``--out`` also what a team's own model would log about them (``predictions.parquet``),
for the monitoring-only (external) example.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from watchkeeper.cli.app import JsonOption, WorkspaceOption, app
from watchkeeper.cli.output import emit_json, stderr, stdout
from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    from watchkeeper.simulate import SimulatedTraffic, SimulationConfig

CHUNK_DAYS = 30


@app.command()
def simulate(
    preset: Annotated[
        str,
        typer.Option(
            "--preset",
            "-p",
            help=(
                "Card fraud: stable, segment-shift, fraud-adaptation or case-study. Other "
                "examples: churn, demand or triage."
            ),
        ),
    ] = "case-study",
    days: Annotated[int | None, typer.Option(help="Days of traffic.", min=1)] = None,
    per_day: Annotated[
        int | None, typer.Option("--per-day", help="Transactions per day.", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same data).")] = None,
    start: Annotated[
        str | None, typer.Option(help="First day, as YYYY-MM-DD.", metavar="DATE")
    ] = None,
    cards: Annotated[int | None, typer.Option(help="Number of cards.", min=1)] = None,
    merchants: Annotated[int | None, typer.Option(help="Number of merchants.", min=1)] = None,
    fraud_rate: Annotated[
        float | None, typer.Option("--fraud-rate", help="Base share of fraudulent transactions.")
    ] = None,
    settings: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="A YAML file of simulation settings (shifts, lags, seasonality) over the preset.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write transactions.parquet and chargebacks.parquet here instead of the workspace.",
            file_okay=False,
        ),
    ] = None,
    workspace: WorkspaceOption = Path(),
    json_output: JsonOption = False,
) -> None:
    """Simulate card transactions and the chargebacks that label them weeks later.

    Writes into the workspace's event store (tables transactions and outcomes), or with
    --out into two Parquet files. The same settings and seed always give the same data.
    """
    from watchkeeper.simulate import summary
    from watchkeeper.simulate.tabular import SIMULATORS

    if preset in SIMULATORS:
        fraud_only = {"--start": start, "--cards": cards, "--merchants": merchants,
                      "--fraud-rate": fraud_rate, "--config": settings}  # fmt: skip
        given_fraud = [name for name, value in fraud_only.items() if value is not None]
        if given_fraud:
            raise ConfigError(
                f"{', '.join(given_fraud)} apply to the card-fraud presets, not {preset!r}"
            )
        result = _simulate_example(preset, days, per_day, seed, out, workspace)
        if json_output:
            emit_json(result)
            return
        stdout.print(
            f"{result['events']:,} events and {result['outcomes']:,} outcomes of the "
            f"{preset} example (drift from day {result['shift_day']}) -> "
            f"{escape(str(result['destination']))}"
        )
        return
    overrides: dict[str, Any] = _read_settings(settings) if settings else {}
    given = {
        "days": days,
        "per_day": per_day,
        "seed": seed,
        "cards": cards,
        "merchants": merchants,
        "base_fraud_rate": fraud_rate,
        "start": _parse_date(start) if start else None,
    }
    overrides.update({key: value for key, value in given.items() if value is not None})
    config = _build_config(preset, overrides)
    traffic, destination = _generate_and_write(config, out, workspace)
    result = {"preset": preset, "destination": destination, **summary(traffic).to_dict()}
    if json_output:
        emit_json(result)
        return
    _print_summary(result)


def _simulate_example(
    name: str,
    days: int | None,
    per_day: int | None,
    seed: int | None,
    out: Path | None,
    workspace_root: Path,
) -> dict[str, Any]:
    """Simulate one of the tabular examples into ``out`` (with the team's predictions) or
    into the workspace's event store (events and outcomes)."""
    import polars as pl

    from watchkeeper.simulate.tabular import SIMULATORS, TeamTask, team_predictions
    from watchkeeper.workspace import Workspace

    options: dict[str, int] = {"seed": seed if seed is not None else 0}
    if days is not None:
        options["days"] = days
        options["shift_day"] = max(1, days * 5 // 8)  # the default episode's place: 150 of 240
    if per_day is not None:
        options["per_day"] = per_day
    with stderr.status(f"simulating the {name} example"):
        simulation = SIMULATORS[name](**options)
    outcomes = simulation.outcomes.with_columns(received_at=pl.col("outcome_ts"))
    result: dict[str, Any] = {
        "preset": name,
        "events": simulation.events.height,
        "outcomes": outcomes.height,
        "shift_day": simulation.shift_day,
        "description": simulation.description,
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        tasks: dict[str, TeamTask] = {
            "churn": "binary",
            "demand": "regression",
            "triage": "multiclass",
        }
        predictions = team_predictions(simulation, tasks[name], seed=options["seed"])
        simulation.events.write_parquet(out / "events.parquet")
        outcomes.write_parquet(out / "outcomes.parquet")
        predictions.write_parquet(out / "predictions.parquet")
        return {**result, "predictions": predictions.height, "destination": str(out)}
    key = f"simulate-{name}-{options}"
    with Workspace.open(workspace_root) as workspace:
        workspace.events.write_bulk("transactions", simulation.events, load_id=f"{key}-events")
        workspace.events.write_bulk("outcomes", outcomes, load_id=f"{key}-outcomes")
        destination = workspace.resolve(workspace.config.storage.events)
    return {**result, "destination": destination}


def _build_config(preset_name: str, overrides: dict[str, Any]) -> SimulationConfig:
    from watchkeeper.simulate import preset

    return preset(preset_name, **overrides)  # a bad setting raises SimulationError, one line


def _read_settings(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: malformed YAML: {error}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping of simulation settings")
    return loaded


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--start: {text!r} is not a date; write YYYY-MM-DD") from None


def _generate_and_write(
    config: SimulationConfig, out: Path | None, workspace_root: Path
) -> tuple[SimulatedTraffic, str]:
    """Generate month-sized chunks with a progress bar, loading each into the workspace."""
    from watchkeeper.simulate import SimulatedTraffic, simulate_chunks, write_parquet
    from watchkeeper.simulate.to_event_store import load_into_event_store, simulation_key
    from watchkeeper.workspace import Workspace

    workspace = None if out is not None else Workspace.open(workspace_root)
    chunks: list[SimulatedTraffic] = []
    try:
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("days"),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        ) as progress:
            task = progress.add_task(
                f"simulating ~{config.days * config.per_day:,} transactions", total=config.days
            )
            key = simulation_key(config)
            for part, chunk in enumerate(simulate_chunks(config, chunk_days=CHUNK_DAYS)):
                if workspace is not None:
                    load_into_event_store(chunk, workspace.events, key, part)
                chunks.append(chunk)
                progress.advance(task, min(CHUNK_DAYS, config.days - part * CHUNK_DAYS))
        traffic = SimulatedTraffic.concatenate(chunks)
        if workspace is None:
            assert out is not None
            transactions_path, _ = write_parquet(traffic, out)
            return traffic, str(transactions_path.parent)
        return traffic, workspace.resolve(workspace.config.storage.events)
    finally:
        if workspace is not None:
            workspace.close()


def _print_summary(result: dict[str, Any]) -> None:
    table = Table(title=f"simulated traffic ({result['preset']})")
    for column in ("month", "transactions", "frauds", "fraud rate", "fraud amount", "chargebacks"):
        table.add_column(column, justify="right")
    for month in result.get("months", []):
        table.add_row(
            str(month["month"]),
            f"{month['transactions']:,}",
            f"{month['frauds']:,}",
            f"{month['fraud_rate']:.3%}",
            f"{month['fraud_amount']:,.0f}",
            f"{month['chargebacks']:,}",
        )
    stdout.print(table)
    stdout.print(
        f"{result['transactions']:,} transactions, {result['frauds']:,} frauds, "
        f"{result['chargebacks']:,} chargebacks -> {escape(str(result['destination']))}"
    )


__all__ = ["simulate"]
