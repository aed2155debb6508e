"""The guards of a multiclass or regression canary, on hand-computed statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import accuracy_score, mean_absolute_error

from watchkeeper.config import LabelConfig
from watchkeeper.config.lifecycle import RolloutGuards
from watchkeeper.rollout.canary_statistics import (
    labelled_predictions,
    prediction_edges,
    statistics_from_predictions,
)
from watchkeeper.rollout.guards import (
    BINARY_ONLY_GUARDS,
    CanaryStatistics,
    GuardCheck,
    RouteStatistics,
    check_guards,
)

DAY = datetime(2026, 6, 1, tzinfo=UTC)
GUARDS = RolloutGuards(min_labelled_events=20)


def regression_rows(shift: float, rows: int = 200, seed: int = 0) -> pl.DataFrame:
    """Champion rows predicting N(10, 2), canary rows the same plus ``shift``."""
    rng = np.random.default_rng(seed)
    champion = rng.normal(10, 2, rows)
    canary = rng.normal(10, 2, rows) + shift
    return pl.DataFrame(
        {
            "event_id": [f"e{index}" for index in range(2 * rows)],
            "ts": [DAY] * (2 * rows),
            "route": ["champion"] * rows + ["canary"] * rows,
            "model_version": [1] * rows + [2] * rows,
            "prediction": np.concatenate([champion, canary]),
            "latency_ms": [1.0] * (2 * rows),
        }
    )


def named(checks: list[GuardCheck]) -> dict[str, GuardCheck]:
    return {check.name: check for check in checks}


def test_a_shifted_regression_canary_fails_its_prediction_psi_and_a_steady_one_passes() -> None:
    verdicts = {}
    for shift in (0.0, 3.0):
        statistics = statistics_from_predictions(
            regression_rows(shift), champion_version=1, challenger_version=2, task="regression"
        )
        assert sum(statistics.champion.prediction_counts) == 200
        assert len(statistics.champion.prediction_counts) == 10  # deciles of the champion
        checks = named(check_guards(statistics, GUARDS))
        verdicts[shift] = checks["prediction_psi"].passed
        for name in BINARY_ONLY_GUARDS:
            assert checks[name].describe() == f"{name} not applicable to regression"
    assert verdicts == {0.0: True, 3.0: False}


def test_the_edges_are_the_champion_s_deciles() -> None:
    values = pl.Series(np.arange(1.0, 101.0))
    assert prediction_edges(values) == pytest.approx(
        list(np.quantile(values, np.arange(1, 10) / 10))
    )
    assert prediction_edges(pl.Series([5.0] * 30)) == [5.0]  # repeated edges merged


def test_realized_mae_and_accuracy_match_scikit_learn_on_labelled_rows() -> None:
    rows = regression_rows(0.0, rows=60, seed=3)
    rng = np.random.default_rng(4)
    actual = rows["prediction"].to_numpy() + rng.normal(0, 1, rows.height) * np.where(
        rows["route"].to_numpy() == "canary", 2.0, 1.0
    )
    answered = rng.random(rows.height) < 0.8  # the others stay pending
    outcomes = pl.DataFrame(
        {
            "event_id": rows["event_id"].filter(answered),
            "outcome": actual[answered],
            "received_at": [DAY + timedelta(hours=1)] * int(answered.sum()),
        }
    )
    labelled = labelled_predictions(
        rows, outcomes, as_of=DAY + timedelta(hours=2), label=LabelConfig(), task="regression"
    )
    statistics = statistics_from_predictions(
        labelled, champion_version=1, challenger_version=2, task="regression"
    )
    mae = {}
    for route, route_statistics in (
        ("champion", statistics.champion),
        ("canary", statistics.challenger),
    ):
        keep = answered & (rows["route"].to_numpy() == route)
        mae[route] = mean_absolute_error(actual[keep], rows["prediction"].to_numpy()[keep])
        assert route_statistics.labelled == int(keep.sum())
        assert route_statistics.realized_mae == pytest.approx(mae[route], rel=1e-12)
    check = named(check_guards(statistics, GUARDS))["realized_mae_increase"]
    assert check.value == pytest.approx(mae["canary"] / mae["champion"] - 1)
    assert not check.passed  # twice the noise: about +100%

    decided = ["a", "b", "a", "c", "b", "a"] * 10
    truth = ["a", "b", "b", "c", "a", "a"] * 10
    classes = RouteStatistics(
        labelled=60, correct=sum(d == t for d, t in zip(decided, truth, strict=True))
    )
    assert classes.realized_accuracy == pytest.approx(accuracy_score(truth, decided))


def test_realized_guards_wait_for_enough_labels_and_a_perfect_champion_is_not_compared() -> None:
    few = RouteStatistics(events=10, labelled=19, correct=19)
    worse = RouteStatistics(events=10, labelled=19, correct=0)
    checks = named(check_guards(CanaryStatistics(few, worse, task="multiclass"), GUARDS))
    assert "realized_accuracy_drop" not in checks
    perfect = RouteStatistics(events=10, labelled=50, absolute_error_total=0.0)
    some = RouteStatistics(events=10, labelled=50, absolute_error_total=5.0)
    checks = named(check_guards(CanaryStatistics(perfect, some, task="regression"), GUARDS))
    assert "realized_mae_increase" not in checks
    limit = RouteStatistics(events=10, labelled=50, correct=40)  # accuracy 0.8
    on_it = RouteStatistics(events=10, labelled=50, correct=35)  # 0.7: a drop of the limit
    checks = named(check_guards(CanaryStatistics(limit, on_it, task="multiclass"), GUARDS))
    assert checks["realized_accuracy_drop"].value == pytest.approx(0.1)


def test_multiclass_labels_join_shadow_rows_and_count_correct_decisions() -> None:
    rows = pl.DataFrame(
        {
            "event_id": ["a", "a:shadow", "b", "c"],
            "ts": [DAY] * 4,
            "route": ["champion", "shadow", "champion", "champion"],
            "model_version": [1, 2, 1, 1],
            "decision": ["x", "y", "y", "x"],
            "latency_ms": [1.0] * 4,
        }
    )
    outcomes = pl.DataFrame(
        {"event_id": ["a", "b"], "outcome": ["y", "y"], "received_at": [DAY, DAY]}
    )
    labelled = labelled_predictions(
        rows, outcomes, as_of=DAY, label=LabelConfig(classes=["x", "y"]), task="multiclass"
    )
    assert labelled["label"].to_list() == ["y", "y", "y", None]
    statistics = statistics_from_predictions(
        labelled, champion_version=1, challenger_version=2, task="multiclass"
    )
    assert (statistics.champion.labelled, statistics.champion.correct) == (2, 1)
    assert (statistics.challenger.labelled, statistics.challenger.correct) == (1, 1)
    assert dict(statistics.champion.decision_counts) == {"x": 2, "y": 1}
