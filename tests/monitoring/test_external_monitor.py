"""The monitor of a model served elsewhere, for each task, on a simulation with a known shift.

Each workspace is an example turned into monitoring-only; the team's own model's predictions
(team-v1, then team-v2 after the shift) and the outcomes are logged from frames, and the
monitor runs once before the first reference window is complete and once after the period.
Realized metrics are checked against scikit-learn on the same matured rows, drift against the
simulation's shift, estimates against the realized values in the stable part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from watchkeeper.clock import EventTimeClock
from watchkeeper.monitoring.job.monitor_job import run_monitor
from watchkeeper.monitoring.job.monitor_result import MonitorResult
from watchkeeper.simulate.tabular import (
    simulate_churn,
    simulate_demand,
    simulate_triage,
    team_predictions,
)
from watchkeeper.simulate.tabular.common import START, TabularSimulation
from watchkeeper.storage.metadata.external_versions import ExternalVersion
from watchkeeper.workspace import Workspace

pytestmark = pytest.mark.slow  # each task's workspace is simulated and monitored in ~7 s

DAYS, PER_DAY, SHIFT_DAY = 120, 100, 80
SWITCH_DAY = SHIFT_DAY + 28  # team-v2 from here (the simulator's default)
STABLE = (28, SHIFT_DAY)  # after team-v1's reference window, before the shift
SHIFTED_FROM = SHIFT_DAY + 21  # the ramp is over
WARN, ALERT = 0.1, 0.25  # the examples' PSI levels


@dataclass(frozen=True)
class Monitored:
    """A monitored external workspace and what went into it."""

    predictions: pl.DataFrame
    outcomes: pl.DataFrame
    early: MonitorResult
    late: MonitorResult
    again: MonitorResult
    rows: pl.DataFrame
    versions: list[ExternalVersion]


def day(number: int) -> datetime:
    return START + timedelta(days=number)


def monitored(
    tmp_path: Path,
    example: str,
    task: str,
    simulation: TabularSimulation,
    refused: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> Monitored:
    root = Workspace.create(tmp_path / example, example=example)
    config = root / "watchkeeper.yaml"
    text = config.read_text()
    if "serving: external" not in text:
        config.write_text(text.replace("  task:", "  serving: external\n  task:", 1))
    predictions = team_predictions(simulation, task, seed=1, training_days=30)  # type: ignore[arg-type]
    with Workspace.open(root) as workspace:
        workspace.log_predictions(predictions)
    if refused is not None:  # logged live on day 40: a refused row is timed when refused
        with Workspace.open(root, clock=EventTimeClock(day(40) + timedelta(hours=12))) as live:
            live.log_predictions(refused(predictions))
    with Workspace.open(root) as workspace:
        workspace.log_outcomes(simulation.outcomes)
        early = run_monitor(workspace, day(20))
        late = run_monitor(workspace, day(140))
        again = run_monitor(workspace, day(140))
        stored = workspace.metadata.metrics(workspace.config.model.name)
        versions = workspace.metadata.external_versions.entries(workspace.config.model.name)
    rows = pl.DataFrame(
        {
            "metric": [row.metric for row in stored],
            "feature": [row.feature for row in stored],
            "version": [row.model_version for row in stored],
            "day": [(row.window_start - START).days for row in stored],
            "value": [row.value for row in stored],
            "status": [row.status for row in stored],
        }
    )
    return Monitored(predictions, simulation.outcomes, early, late, again, rows, versions)


@pytest.fixture(scope="module")
def churn(tmp_path_factory: pytest.TempPathFactory) -> Monitored:
    simulation = simulate_churn(
        days=DAYS, per_day=PER_DAY, shift_day=SHIFT_DAY, seed=1, accounts=800
    )

    def out_of_range(predictions: pl.DataFrame) -> pl.DataFrame:
        """Three rows of day 40 logged again under new ids with a score of 129."""
        rows = predictions.filter(pl.col("ts") >= day(40)).head(3)
        return rows.with_columns(
            pl.Series("event_id", ["bad-1", "bad-2", "bad-3"]), pl.lit(129.0).alias("score")
        )

    return monitored(
        tmp_path_factory.mktemp("churn"), "external", "binary", simulation, out_of_range
    )


@pytest.fixture(scope="module")
def triage(tmp_path_factory: pytest.TempPathFactory) -> Monitored:
    simulation = simulate_triage(
        days=DAYS, per_day=PER_DAY, shift_day=SHIFT_DAY, seed=1, customers=500
    )
    return monitored(tmp_path_factory.mktemp("triage"), "triage", "multiclass", simulation)


@pytest.fixture(scope="module")
def demand(tmp_path_factory: pytest.TempPathFactory) -> Monitored:
    simulation = simulate_demand(days=DAYS, per_day=PER_DAY, shift_day=SHIFT_DAY, seed=1)
    return monitored(tmp_path_factory.mktemp("demand"), "demand", "regression", simulation)


def value(run: Monitored, metric: str, on: int, feature: str | None = None) -> float:
    found = run.rows.filter(
        (pl.col("metric") == metric)
        & (pl.col("day") == on)
        & (pl.col("feature").is_null() if feature is None else pl.col("feature") == feature)
    )
    assert found.height == 1, (metric, on, found)
    assert found["status"][0] != "immature"  # every window checked here is mature by day 140
    result: float = found["value"][0]
    return result


def window_rows(run: Monitored, on: int) -> pl.DataFrame:
    """The logged predictions of a day with their outcomes."""
    rows = run.predictions.filter(pl.col("ts").is_between(day(on), day(on + 1), closed="left"))
    return rows.join(run.outcomes.select("event_id", "outcome"), on="event_id", how="left")


def psi_means(run: Monitored, feature: str) -> tuple[float, float]:
    """team-v1's mean PSI of ``feature`` over the stable windows, and its lowest after the
    ramp (team-v2 is compared with its own reference, drawn after the shift)."""
    psi = run.rows.filter(
        (pl.col("metric") == "psi") & (pl.col("feature") == feature) & (pl.col("version") == 1)
    )
    stable = psi.filter(pl.col("day").is_between(*STABLE, closed="left"))["value"]
    after = psi.filter(pl.col("day") >= SHIFTED_FROM)["value"]
    assert stable.len() == STABLE[1] - STABLE[0] and after.len() == SWITCH_DAY - SHIFTED_FROM
    return float(stable.mean()), float(after.min())  # type: ignore[arg-type]


def stable_means(run: Monitored, metric: str) -> tuple[float, float]:
    """Mean realized and estimated ``metric`` over the stable windows."""
    part = run.rows.filter(pl.col("day").is_between(*STABLE, closed="left"))
    means = [
        float(part.filter(pl.col("metric") == name)["value"].mean())  # type: ignore[arg-type]
        for name in (metric, f"estimated_{metric}")
    ]
    return means[0], means[1]


Check = Callable[[Monitored], None]


# -- the reference waits, then each version gets its own ----------------------------------


@pytest.mark.parametrize("name", ["churn", "triage", "demand"])
def test_the_reference_waits_for_its_window_then_each_version_gets_its_own(
    name: str, request: pytest.FixtureRequest
) -> None:
    run: Monitored = request.getfixturevalue(name)
    assert run.early.rows_written == 0 and run.early.windows == ()
    assert "version team-v1: reference builds once 28 days are logged (20 so far)" in (
        run.early.notes
    )
    first, second = run.versions
    assert (first.label, second.label) == ("team-v1", "team-v2")
    assert first.reference_start == day(0) and first.reference_end == day(28)
    assert second.reference_start == day(SWITCH_DAY)
    assert first.reference_sha256 and second.reference_sha256
    assert first.reference_sha256 != second.reference_sha256
    assert first.estimator_sha256 is not None
    horizon = {"churn": 31, "triage": 7, "demand": 2}[name]  # the examples' maturity horizons
    if SWITCH_DAY + 28 + horizon > 140:  # team-v2's reference labels not all mature by then
        assert second.estimator_sha256 is None
        assert (
            "version team-v2: performance estimates start once its reference's labels have "
            f"matured ({day(SWITCH_DAY + 28 + horizon).date()})"
        ) in run.late.notes
    else:
        assert second.estimator_sha256 is not None
    served = (
        run.rows.group_by("version")
        .agg(pl.col("day").min().alias("first"), pl.col("day").max().alias("last"))
        .sort("version")
    )
    assert served.rows() == [(1, 0, SWITCH_DAY - 1), (2, SWITCH_DAY, DAYS - 1)]
    assert len(run.late.windows) == DAYS
    assert run.again.rows_written == 0 and run.again.windows == ()  # nothing new: idempotent
    (comparison,) = run.late.comparisons
    assert (comparison.older, comparison.newer, comparison.shared) == (1, 2, 0)
    assert comparison.windows > 0 and comparison.newer_value is not None
    assert any(note.startswith(f"{comparison.metric}: team-v1 ") for note in run.late.notes)


# -- binary ---------------------------------------------------------------------------------


def test_binary_realized_metrics_match_scikit_learn(churn: Monitored) -> None:
    for on in (30, 70, 100):
        rows = window_rows(churn, on)
        truth = (rows["outcome"] == "churned").to_numpy()
        decided, score = rows["decision"].to_numpy(), rows["score"].to_numpy()
        assert value(churn, "f1", on) == pytest.approx(f1_score(truth, decided))
        assert value(churn, "precision", on) == pytest.approx(
            precision_score(truth, decided, zero_division=0)
        )
        assert value(churn, "recall", on) == pytest.approx(recall_score(truth, decided))
        assert value(churn, "roc_auc", on) == pytest.approx(roc_auc_score(truth, score))
        assert value(churn, "flag_rate", on) == pytest.approx(decided.mean())
        costs = np.where(truth, np.where(decided, -30.0, 60.0), np.where(decided, 10.0, 0.0))
        assert value(churn, "cost", on) == pytest.approx(costs.sum())


def test_rows_refused_in_the_log_are_counted_with_the_version_that_logged_the_day(
    churn: Monitored,
) -> None:
    assert value(churn, "rejected_events", 40, "out_of_range") == 3
    assert value(churn, "rejected_events", 40) == 3
    assert value(churn, "rejected_events", 41) == 0


def test_binary_drift_and_estimates(churn: Monitored) -> None:
    stable, after = psi_means(churn, "plan")  # the promotion's new cohort changes the plan mix
    assert stable < WARN and after > ALERT
    realized, estimated = stable_means(churn, "f1")
    assert estimated == pytest.approx(realized, abs=0.05)


# -- multiclass -----------------------------------------------------------------------------


def test_multiclass_realized_metrics_match_scikit_learn(triage: Monitored) -> None:
    matrix = {  # triage.yaml's cost matrix: actual -> routed -> cost, 0 when routed right
        "billing": {"technical": 4.0, "account": 3.0, "sales": 4.0, "legal": 6.0},
        "technical": {"billing": 5.0, "account": 5.0, "sales": 5.0, "legal": 6.0},
        "account": {"billing": 3.0, "technical": 4.0, "sales": 4.0, "legal": 6.0},
        "sales": {"billing": 6.0, "technical": 6.0, "account": 6.0, "legal": 6.0},
        "legal": {"billing": 40.0, "technical": 40.0, "account": 40.0, "sales": 40.0},
    }
    for on in (30, 70, 110):
        rows = window_rows(triage, on)
        truth, decided = rows["outcome"].to_list(), rows["decision"].to_list()
        assert value(triage, "accuracy", on) == pytest.approx(accuracy_score(truth, decided))
        assert value(triage, "macro_f1", on) == pytest.approx(
            f1_score(truth, decided, average="macro")
        )
        assert value(triage, "weighted_f1", on) == pytest.approx(
            f1_score(truth, decided, average="weighted")
        )
        cost = sum(
            matrix[actual].get(routed, 0.0) for actual, routed in zip(truth, decided, strict=True)
        )
        assert value(triage, "cost", on) == pytest.approx(cost)


def test_multiclass_drift_and_estimates(triage: Monitored) -> None:
    stable, after = psi_means(triage, "product")  # the launch brings a new product's tickets
    assert stable < WARN and after > ALERT
    decided = triage.rows.filter(pl.col("metric") == "decision_psi")
    assert decided.filter(pl.col("day") >= SHIFTED_FROM)["value"].mean() > (  # type: ignore[operator]
        decided.filter(pl.col("day").is_between(*STABLE, closed="left"))["value"].mean()
    )
    realized, estimated = stable_means(triage, "accuracy")
    assert estimated == pytest.approx(realized, abs=0.03)


# -- regression -----------------------------------------------------------------------------


def test_regression_realized_metrics_match_scikit_learn(demand: Monitored) -> None:
    for on in (30, 70, 110):
        rows = window_rows(demand, on)
        actual, predicted = rows["outcome"].to_numpy(), rows["prediction"].to_numpy()
        assert value(demand, "mae", on) == pytest.approx(mean_absolute_error(actual, predicted))
        assert value(demand, "rmse", on) == pytest.approx(
            root_mean_squared_error(actual, predicted)
        )
        assert value(demand, "r2", on) == pytest.approx(r2_score(actual, predicted))
        assert value(demand, "bias", on) == pytest.approx(float(np.mean(predicted - actual)))
        errors = predicted - actual
        cost = 1.2 * np.clip(-errors, 0, None).sum() + 0.4 * np.clip(errors, 0, None).sum()
        assert value(demand, "cost", on) == pytest.approx(cost)


def test_regression_drift_and_estimates(demand: Monitored) -> None:
    stable, after = psi_means(demand, "price")  # the new price regime
    assert stable < WARN and after > ALERT
    realized, estimated = stable_means(demand, "mae")
    assert estimated == pytest.approx(realized, rel=0.05)
