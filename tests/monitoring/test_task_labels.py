"""Labels per task, checked on hand-computed cases: what is known at each moment, and no more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from watchkeeper.config import LabelConfig
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.outcomes.labels import attach_labels
from watchkeeper.monitoring.outcomes.task_labels import attach_task_labels

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
HORIZON = timedelta(days=30)


def day(number: float) -> datetime:
    return DAY0 + timedelta(days=number)


EVENTS = pl.DataFrame({"event_id": ["a", "b", "c", "d"], "ts": [day(0), day(0), day(1), day(2)]})


def outcome_rows(rows: list[tuple[str, object, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": [row[0] for row in rows],
            "outcome": [row[1] for row in rows],
            "received_at": [day(row[2]) for row in rows],
        }
    )


# -- binary: explicit negatives ----------------------------------------------------------------

FEED = LabelConfig(
    positive_outcome="1",
    negative_outcomes=["0"],
    explicit_negatives=True,
    maturity_horizon=HORIZON,
)
# a: 1 on day 3, reversed to 0 on day 8; b: 0 on day 4; c: 0 on day 5 then 1 on day 9; d: none
FEED_OUTCOMES = outcome_rows(
    [("a", "1", 3), ("b", "0", 4), ("a", "0", 8), ("c", "0", 5), ("c", "1", 9)]
)


@pytest.mark.parametrize(
    ("as_of", "statuses", "labels"),
    [
        (2, ["pending"] * 4, [None] * 4),  # nothing received yet
        (6, ["positive", "negative", "negative", "pending"], [1, 0, 0, None]),
        (10, ["negative", "negative", "positive", "pending"], [0, 0, 1, None]),
        # d matures on day 32 with silence: negative, as without explicit negatives
        (32, ["negative", "negative", "positive", "negative"], [0, 0, 1, 0]),
    ],
)
def test_explicit_negatives_label_at_once_and_the_latest_outcome_wins(
    as_of: float, statuses: list[str], labels: list[int | None]
) -> None:
    labelled = attach_task_labels(EVENTS, FEED_OUTCOMES, day(as_of), FEED, "binary")
    assert labelled["event_id"].to_list() == ["a", "b", "c", "d"]
    assert labelled["label_status"].to_list() == statuses
    assert labelled["label"].to_list() == labels


def test_without_explicit_negatives_a_negative_outcome_waits_for_the_horizon() -> None:
    config = FEED.model_copy(update={"explicit_negatives": False})
    labelled = attach_task_labels(EVENTS, FEED_OUTCOMES, day(6), config, "binary")
    assert labelled["label_status"].to_list() == ["positive", "pending", "pending", "pending"]


def test_binary_task_labels_are_attach_labels_by_default() -> None:
    outcomes = outcome_rows([("a", "chargeback", 3), ("c", "reversal", 4)])
    config = LabelConfig(maturity_horizon=HORIZON)
    for as_of in (2, 5, 31, 40):
        assert attach_task_labels(EVENTS, outcomes, day(as_of), config, "binary").equals(
            attach_labels(EVENTS, outcomes, day(as_of), HORIZON)
        )


# -- multiclass ----------------------------------------------------------------------------------

CLASSES = LabelConfig(classes=["billing", "technical", "sales"], maturity_horizon=HORIZON)
# a: billing (day 3) corrected to sales (day 7); b: technical (day 5); c, d: nothing
CLASS_OUTCOMES = outcome_rows([("a", "billing", 3), ("b", "technical", 5), ("a", "sales", 7)])


@pytest.mark.parametrize(
    ("as_of", "labels"),
    [
        (1, [None, None, None, None]),
        (4, ["billing", None, None, None]),
        (6, ["billing", "technical", None, None]),
        (7, ["sales", "technical", None, None]),  # received at as_of counts
        (90, ["sales", "technical", None, None]),  # silence never becomes a class
    ],
)
def test_multiclass_label_is_the_latest_class_received(
    as_of: float, labels: list[str | None]
) -> None:
    labelled = attach_task_labels(EVENTS, CLASS_OUTCOMES, day(as_of), CLASSES, "multiclass")
    assert labelled["label"].to_list() == labels
    assert labelled["label_status"].to_list() == [
        "pending" if label is None else "labelled" for label in labels
    ]
    assert labelled.height == EVENTS.height


def test_same_moment_outcomes_keep_the_later_row() -> None:
    outcomes = outcome_rows([("a", "billing", 3), ("a", "technical", 3)])
    labelled = attach_task_labels(EVENTS, outcomes, day(4), CLASSES, "multiclass")
    assert labelled["label"][0] == "technical"


def test_an_unknown_class_is_refused_by_name() -> None:
    outcomes = outcome_rows([("a", "billing", 3), ("b", "refunds", 4)])
    with pytest.raises(SchemaError, match=r"outcome class 'refunds' is not in label\.classes"):
        attach_task_labels(EVENTS, outcomes, day(5), CLASSES, "multiclass")
    # not yet received: not yet read
    assert attach_task_labels(EVENTS, outcomes, day(3), CLASSES, "multiclass")["label"][0] == (
        "billing"
    )


# -- regression ----------------------------------------------------------------------------------

VALUES = LabelConfig(maturity_horizon=HORIZON)


def test_regression_label_is_the_latest_number_received() -> None:
    outcomes = outcome_rows([("a", 12.5, 3), ("b", 4.0, 5), ("a", 11.0, 7)])
    early = attach_task_labels(EVENTS, outcomes, day(4), VALUES, "regression")
    late = attach_task_labels(EVENTS, outcomes, day(8), VALUES, "regression")
    assert early["label"].to_list() == [12.5, None, None, None]
    assert late["label"].to_list() == [11.0, 4.0, None, None]
    assert late["label"].dtype == pl.Float64
    assert late["label_status"].to_list() == ["labelled", "labelled", "pending", "pending"]


def test_regression_reads_numbers_written_as_text_and_refuses_other_text() -> None:
    numbers = outcome_rows([("a", "3.25", 1), ("b", " 7 ", 1)])
    labelled = attach_task_labels(EVENTS, numbers, day(2), VALUES, "regression")
    assert labelled["label"].to_list() == [3.25, 7.0, None, None]
    words = outcome_rows([("a", "3.25", 1), ("b", "lots", 1)])
    with pytest.raises(SchemaError, match="regression outcome 'lots' is not a number"):
        attach_task_labels(EVENTS, words, day(2), VALUES, "regression")
    infinite = outcome_rows([("a", float("inf"), 1)])
    with pytest.raises(SchemaError, match="not a finite number"):
        attach_task_labels(EVENTS, infinite, day(2), VALUES, "regression")
