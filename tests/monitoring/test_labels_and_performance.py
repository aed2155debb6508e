"""Label maturity and realized performance, checked against scikit-learn and by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import (
    average_precision_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from watchkeeper.monitoring.outcomes.labels import attach_labels, is_window_mature
from watchkeeper.performance.binary import realized_performance
from watchkeeper.performance.intervals import auc_interval, wilson_interval

HORIZON = timedelta(days=60)
START = datetime(2026, 1, 1, tzinfo=UTC)


def test_pending_events_are_never_negatives() -> None:
    events = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(4)],
            "ts": [START + timedelta(days=d) for d in (0, 10, 50, 55)],
        }
    )
    outcomes = pl.DataFrame(
        {
            "event_id": ["e2", "e3", "e3"],
            "outcome": ["chargeback", "chargeback", "chargeback"],
            # e3's chargeback arrives after as_of: unknown at that moment
            "received_at": [
                START + timedelta(days=70),
                START + timedelta(days=95),
                START + timedelta(days=96),
            ],
        }
    )
    as_of = START + timedelta(days=75)
    labelled = attach_labels(events, outcomes, as_of, HORIZON)
    assert labelled["label_status"].to_list() == ["negative", "negative", "positive", "pending"]
    assert labelled["label"].to_list() == [0, 0, 1, None]
    later = attach_labels(events, outcomes, START + timedelta(days=100), HORIZON)
    assert later["label"].to_list() == [0, 0, 1, 1]
    assert later.height == events.height  # two outcomes for e3 do not double the row


def test_other_outcomes_do_not_make_positives() -> None:
    events = pl.DataFrame({"event_id": ["a"], "ts": [START]})
    outcomes = pl.DataFrame(
        {"event_id": ["a"], "outcome": ["refund"], "received_at": [START + timedelta(days=1)]}
    )
    assert attach_labels(events, outcomes, START + timedelta(days=2), HORIZON)[
        "label_status"
    ].to_list() == ["pending"]


def test_window_maturity() -> None:
    assert is_window_mature(START, START + HORIZON, HORIZON)
    assert not is_window_mature(START + timedelta(seconds=1), START + HORIZON, HORIZON)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_realized_performance_matches_sklearn(seed: int) -> None:
    generator = np.random.default_rng(seed)
    size = 5_000
    labels = (generator.random(size) < 0.05).astype(int)
    scores = np.clip(generator.normal(0.3 + 0.4 * labels, 0.2), 0, 1)
    decisions = scores > 0.55
    label_column = labels.astype(float)
    label_column[generator.random(size) < 0.1] = np.nan  # pending rows
    frame = pl.DataFrame(
        {"score": scores, "decision": decisions, "label": label_column}
    ).with_columns(pl.col("label").fill_nan(None).cast(pl.Int8))
    result = realized_performance(frame, mature=True)
    known = ~np.isnan(label_column)
    y, s, d = labels[known], scores[known], decisions[known]
    assert result.labelled == int(known.sum())
    assert result.coverage == pytest.approx(known.mean())
    assert result.precision.value == pytest.approx(precision_score(y, d))
    assert result.recall.value == pytest.approx(recall_score(y, d))
    negatives = y == 0
    assert result.false_positive_rate.value == pytest.approx(d[negatives].mean())
    assert result.roc_auc.value == pytest.approx(roc_auc_score(y, s))
    assert result.pr_auc.value == pytest.approx(average_precision_score(y, s))
    assert result.precision.interval is not None
    assert result.precision.interval.low < result.precision.value < result.precision.interval.high


def test_no_positives_gives_no_recall_or_auc() -> None:
    frame = pl.DataFrame({"score": [0.1, 0.2], "decision": [False, True], "label": [0, 0]})
    result = realized_performance(frame, mature=True)
    assert result.recall.value is None
    assert result.roc_auc.value is None
    assert result.false_positive_rate.value == 0.5


def test_wilson_interval_matches_the_textbook_case() -> None:
    # Wilson (1927) via Newcombe (1998), case 81/263: 0.2553 to 0.3662
    interval = wilson_interval(81, 263)
    assert interval.low == pytest.approx(0.2553, abs=5e-4)
    assert interval.high == pytest.approx(0.3662, abs=5e-4)


def test_auc_interval_covers_the_truth_in_repeated_samples() -> None:
    generator = np.random.default_rng(7)
    true_auc_hits = 0
    trials = 200
    for _ in range(trials):
        positives = generator.normal(1.0, 1.0, 60)
        negatives = generator.normal(0.0, 1.0, 600)
        labels = np.r_[np.ones(60), np.zeros(600)]
        auc = roc_auc_score(labels, np.r_[positives, negatives])
        interval = auc_interval(auc, 60, 600)
        true_auc_hits += interval.low <= 0.7602 <= interval.high  # Phi(1/sqrt(2))
    assert 0.88 <= true_auc_hits / trials <= 0.99
