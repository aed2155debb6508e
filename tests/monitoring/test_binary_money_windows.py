"""A binary window's money with a cost matrix: explicit 0/1 labels, and one implementation
behind the watchkeeper-served monitor (window_metrics) and the task monitors
(task_window_rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from watchkeeper.config import BusinessValueConfig, LabelConfig
from watchkeeper.monitoring.job.task_window_rows import estimated_task_rows, realized_task_rows
from watchkeeper.monitoring.job.window_metrics import WindowKey, estimated_rows, realized_rows
from watchkeeper.monitoring.outcomes.task_labels import attach_task_labels
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.storage.metadata.records import MetricRow

DAY = datetime(2026, 6, 1, tzinfo=UTC)
KEY = WindowKey("churn", 1, DAY, DAY + timedelta(days=1))
CHURN = BusinessValueConfig(
    cost_matrix={
        "positive": {"positive": -30.0, "negative": 60.0},
        "negative": {"positive": 10.0, "negative": 0.0},
    }
)
MONEY = ("cost", "cost_per_event", "business_value", "value_against_baseline")


def window() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Six snapshots of one day; a 0/1 label feed answers four of them two days later."""
    events = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(6)],
            "ts": [DAY + timedelta(hours=i) for i in range(6)],
            "score": [0.9, 0.8, 0.7, 0.2, 0.1, 0.6],
            "decision": [True, True, True, False, False, True],
        }
    )
    outcomes = pl.DataFrame(
        {
            "event_id": ["e0", "e1", "e2", "e3"],
            "outcome": ["1", "0", "0", "1"],
            "received_at": [DAY + timedelta(days=2)] * 4,
        }
    )
    return events, outcomes


def values(rows: list[MetricRow]) -> dict[str, float | None]:
    return {row.metric: row.value for row in rows}


def test_explicit_negatives_count_as_negatives_in_a_window_before_its_horizon() -> None:
    events, outcomes = window()
    label = LabelConfig(
        positive_outcome="1",
        negative_outcomes=["0"],
        explicit_negatives=True,
        maturity_horizon=timedelta(days=30),
    )
    labelled = attach_task_labels(events, outcomes, DAY + timedelta(days=3), label, "binary")
    assert labelled["label"].to_list() == [1, 0, 0, 1, None, None]
    rows = values(realized_rows(KEY, labelled, mature=False, business=CHURN))
    # e0 TP -30, e1 FP 10, e2 FP 10, e3 FN 60; e4 and e5 pending: left out
    assert rows["cost"] == 50.0
    assert rows["cost_per_event"] == 12.5
    assert rows["business_value"] == 120.0 - 50.0
    assert rows["labelled_events"] == 4.0
    assert rows["precision"] == pytest.approx(1 / 3)
    assert rows["f1"] == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))
    # without explicit negatives a 0 waits for the horizon: only the positives count yet
    waiting = attach_task_labels(
        events,
        outcomes,
        DAY + timedelta(days=3),
        LabelConfig(positive_outcome="1", negative_outcomes=["0"]),
        "binary",
    )
    assert values(realized_rows(KEY, waiting, mature=False, business=CHURN))["cost"] == 30.0


def test_both_monitor_paths_give_the_same_money() -> None:
    events, outcomes = window()
    label = LabelConfig(positive_outcome="1", negative_outcomes=["0"], explicit_negatives=True)
    labelled = attach_task_labels(events, outcomes, DAY + timedelta(days=3), label, "binary")
    served = values(realized_rows(KEY, labelled, mature=False, business=CHURN))
    task = values(
        realized_task_rows("binary", KEY, labelled, mature=False, label=label, business=CHURN)
    )
    assert {name: served[name] for name in (*MONEY, "f1")} == {
        name: task[name] for name in (*MONEY, "f1")
    }
    calibrator = ScoreCalibrator((0.0, 1.0), (0.0, 1.0))
    estimated = values(estimated_rows(KEY, events, calibrator, CHURN))
    task_estimated = values(estimated_task_rows("binary", KEY, events, calibrator, label, CHURN))
    for name in (*MONEY, "f1"):
        assert estimated[f"estimated_{name}"] == pytest.approx(task_estimated[f"estimated_{name}"])
    # flagged 0.9, 0.8, 0.7, 0.6: p x -30 + (1 - p) x 10; passed 0.2, 0.1: p x 60
    flagged = sum(p * -30 + (1 - p) * 10 for p in (0.9, 0.8, 0.7, 0.6))
    assert estimated["estimated_cost"] == pytest.approx(flagged + 0.2 * 60 + 0.1 * 60)
