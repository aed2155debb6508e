"""The label-delay distribution, the floor, the fallback, and the window's provisional rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from scipy import stats

from watchkeeper.config import LabelConfig, ProvisionalLabelsConfig, parse_config
from watchkeeper.errors import ConfigError
from watchkeeper.registry.lineage import DataLineage
from watchkeeper.training.label_delay import (
    LabelDelay,
    estimate_label_delay,
    labels_ready_at,
    plan_provisional_labels,
)
from watchkeeper.training.window import TrainingWindow, training_window

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HORIZON = 30 * DAY
AS_OF = DAY0 + 100 * DAY


def test_share_received_is_the_empirical_distribution_of_the_delays() -> None:
    delays = [2 * DAY, 5 * DAY, 5 * DAY, 9 * DAY, 20 * DAY]
    delay = LabelDelay(HORIZON, delays)
    ages = [1 * DAY, 5 * DAY, 8 * DAY, 9 * DAY, 25 * DAY, 29 * DAY, 31 * DAY]
    # by hand: none by day 1, three of five by day 5 (the tie counts), four by day 9, all by 20
    assert delay.share_received(ages).tolist() == [0.0, 0.6, 0.6, 0.8, 1.0, 1.0, 1.0]
    reference = stats.ecdf([value / DAY for value in delays]).cdf.evaluate([1, 5, 8, 9, 25, 29])
    assert np.allclose(delay.share_received(ages)[:6], reference)
    assert delay.positives == 5
    with pytest.raises(ValueError, match="between zero and the maturity horizon"):
        LabelDelay(HORIZON, [31 * DAY])


def test_the_floor_is_the_least_age_whose_share_reaches_it() -> None:
    delay = LabelDelay(HORIZON, [day * DAY for day in range(1, 11)])
    youngest = delay.youngest_age(0.3)
    assert youngest == 3 * DAY
    assert delay.share_received([youngest])[0] >= 0.3
    assert delay.share_received([youngest - timedelta(seconds=1)])[0] < 0.3
    assert delay.youngest_age(0.25) == 3 * DAY  # ceil(2.5): the third delay
    assert delay.youngest_age(1.0) == 10 * DAY


def traffic() -> tuple[pl.DataFrame, pl.DataFrame]:
    """An event at noon every day for 100 days; chargebacks chosen by hand.

    Matured (at or before the cut-off, day 70): e10 .. e50 charged back after 5, 10, 15,
    20 and 25 days, e60 after 39.5 days (received by as-of: a positive, but beyond the 30-day
    horizon, so no part of F). Young: e75
    charged back on day 90 (age 24.5 days at as-of), e85 on day 99 (age 14.5), e88 after
    as-of (unknown then), e95 on day 99 (4.5 days old: too young to join).
    """
    events = pl.DataFrame(
        {
            "event_id": [f"e{day}" for day in range(100)],
            "ts": [DAY0 + day * DAY + timedelta(hours=12) for day in range(100)],
            "amount": [10.0] * 100,
        }
    )
    received = {
        "e10": 15.5,
        "e20": 30.5,
        "e30": 45.5,
        "e40": 60.5,
        "e50": 75.5,
        "e60": 100.0,
        "e75": 90.0,
        "e85": 99.0,
        "e88": 101.0,
        "e95": 99.0,
    }
    outcomes = pl.DataFrame(
        {
            "event_id": list(received),
            "outcome": ["chargeback"] * len(received),
            "received_at": [DAY0 + timedelta(days=day) for day in received.values()],
        }
    )
    return events, outcomes


def window(provisional: ProvisionalLabelsConfig | None, **overrides: object) -> TrainingWindow:
    events, outcomes = traffic()
    settings: dict[str, object] = {
        "as_of": AS_OF,
        "maturity_horizon": HORIZON,
        "window": 60 * DAY,
        "validation": 10 * DAY,
        "holdout": 10 * DAY,
        "provisional": provisional,
    }
    settings.update(overrides)
    return training_window(events, outcomes, **settings)  # type: ignore[arg-type]


FLOOR_04 = ProvisionalLabelsConfig(min_delay_share=0.4, min_matured_positives=5)


def test_the_delay_is_learnt_from_matured_positives_within_the_horizon() -> None:
    events, outcomes = traffic()
    twice = pl.concat(  # a second, later chargeback of e10 changes nothing: the first counts
        [
            outcomes,
            outcomes.filter(pl.col("event_id") == "e10").with_columns(
                pl.col("received_at") + 3 * DAY
            ),
        ]
    )
    delay = estimate_label_delay(
        events, twice, as_of=AS_OF, maturity_horizon=HORIZON, since=DAY0 + 10 * DAY
    )
    assert (delay.delays / 86400).tolist() == [5.0, 10.0, 15.0, 20.0, 25.0]
    later = estimate_label_delay(
        events, outcomes, as_of=AS_OF, maturity_horizon=HORIZON, since=DAY0 + 25 * DAY
    )
    assert later.positives == 3  # e30, e40, e50
    earlier = estimate_label_delay(events, outcomes, as_of=DAY0 + 50 * DAY,
                                   maturity_horizon=HORIZON)  # fmt: skip
    assert (earlier.delays / 86400).tolist() == [5.0]  # e10 only had matured by day 20


def test_young_events_join_with_weights_and_the_counts_say_which_are_provisional() -> None:
    found = window(FLOOR_04)
    plan = found.provisional
    assert plan is not None and plan.youngest_age == 10 * DAY  # F(10 days) = 2/5 >= 0.4
    assert found.cutoff == AS_OF - HORIZON and found.window_end == AS_OF - 10 * DAY
    assert found.start == found.window_end - 60 * DAY
    rows = pl.concat([found.train, found.validation, found.holdout])
    assert rows["event_id"].to_list() == [f"e{day}" for day in range(30, 90)]  # e95: too young
    weights = dict(zip(rows["event_id"], rows["weight"], strict=True))
    assert weights["e75"] == pytest.approx(1 / 0.8)  # 24.5 days old: 4 of 5 delays
    assert weights["e85"] == pytest.approx(1 / 0.4)  # 14.5 days old: 2 of 5
    assert weights["e88"] == 1.0 and weights["e40"] == 1.0
    statuses = dict(zip(rows["event_id"], rows["label_status"], strict=True))
    assert statuses["e69"] == "negative" and statuses["e70"] == statuses["e88"] == "provisional"
    labels = dict(zip(rows["event_id"], rows["label"], strict=True))
    assert (labels["e75"], labels["e85"], labels["e88"]) == (1, 1, 0)
    assert found.counts() == {
        "train": {"rows": 40, "positives": 4, "provisional_rows": 0,
                  "provisional_positives": 0, "weighted_positives": 4.0},
        "validation": {"rows": 10, "positives": 1, "provisional_rows": 10,
                       "provisional_positives": 1, "weighted_positives": 1.25},
        "holdout": {"rows": 10, "positives": 1, "provisional_rows": 10,
                    "provisional_positives": 1, "weighted_positives": 2.5},
    }  # fmt: skip
    described = found.describe()
    assert described["end"] == (AS_OF - 10 * DAY).isoformat()
    assert described["provisional_labels"] | {"label_delay": None, "reason": None} == {
        "used": True,
        "min_delay_share": 0.4,
        "youngest_age": "10d",
        "max_weight": 2.5,
        "reason": None,
        "label_delay": None,
    }
    assert described["provisional_labels"]["label_delay"]["matured_positives"] == 5
    lineage = DataLineage({}, "", "", "", 60, 5, "", provisional_labels=plan.describe())
    assert DataLineage(**lineage.__dict__).provisional_labels == plan.describe()


def test_every_admitted_event_has_reached_the_floor() -> None:
    for floor in (0.2, 0.4, 0.6, 1.0):
        found = window(ProvisionalLabelsConfig(min_delay_share=floor, min_matured_positives=5))
        plan = found.provisional
        assert plan is not None and plan.delay is not None
        rows = pl.concat([found.train, found.validation, found.holdout])
        young = rows.filter(pl.col("label_status") == "provisional")
        ages = (AS_OF - young["ts"]).dt.total_seconds().to_numpy()
        assert (plan.delay.share_received(ages) >= floor).all()
        assert (rows["weight"] <= 1 / floor + 1e-12).all()
        left_out = traffic()[0].filter((pl.col("ts") > found.window_end) & (pl.col("ts") <= AS_OF))
        ages_out = (AS_OF - left_out["ts"]).dt.total_seconds().to_numpy()
        assert (plan.delay.share_received(ages_out) < floor).all()


@pytest.mark.parametrize(
    ("provisional", "label", "reason"),
    [
        (None, None, "provisional labels are off"),
        (ProvisionalLabelsConfig(enabled=False), None, "provisional labels are off"),
        (ProvisionalLabelsConfig(), None,
         "5 matured positive(s) to learn the label delay from, fewer than "
         "label.provisional.min_matured_positives (100)"),
        (FLOOR_04, LabelConfig(maturity_horizon=HORIZON, explicit_negatives=True),
         "label.explicit_negatives"),
    ],
)  # fmt: skip
def test_without_a_trusted_delay_only_matured_labels_are_used(
    provisional: ProvisionalLabelsConfig | None, label: LabelConfig | None, reason: str
) -> None:
    found = window(provisional, label=label)
    plan = found.provisional
    assert plan is not None and not plan.active
    assert plan.reason.startswith("matured labels only") and reason in plan.reason
    assert found.window_end == found.cutoff == AS_OF - HORIZON
    rows = pl.concat([found.train, found.validation, found.holdout])
    assert rows["ts"].max() <= found.cutoff
    assert set(rows["label_status"]) <= {"positive", "negative"}
    assert (rows["weight"] == 1.0).all()
    assert found.describe()["provisional_labels"]["used"] is False
    matured = window(None, label=label)
    assert (
        rows["event_id"].to_list()
        == pl.concat([matured.train, matured.validation, matured.holdout])["event_id"].to_list()
    )


def test_the_holdout_and_validation_are_sized_by_their_positives() -> None:
    by_days = window(FLOOR_04)
    assert by_days.holdout_start == by_days.window_end - 10 * DAY
    sized = window(FLOOR_04, min_positives=2)
    # the holdout goes back to e75, its second most recent positive; the validation slice
    # would go back to e50, but stops where the training slice keeps half the window
    assert sized.holdout_start == DAY0 + 75 * DAY + timedelta(hours=12)
    assert sized.counts()["holdout"]["positives"] == 2
    assert sized.validation_start == sized.start + 30 * DAY
    assert sized.counts()["validation"]["positives"] == 1  # e60
    # too few positives anywhere: the slices stop where the training slice keeps half
    starved = window(FLOOR_04, min_positives=50)
    assert starved.validation_start == starved.start + 30 * DAY
    assert starved.holdout_start == starved.start + 40 * DAY
    assert starved.train.height == 30


def test_labels_are_ready_when_the_post_drift_traffic_holds_enough_usable_positives() -> None:
    events, outcomes = traffic()
    since = DAY0 + 70 * DAY
    ready = labels_ready_at(events, outcomes, since=since, as_of=AS_OF, youngest_age=10 * DAY,
                            min_positives=2)  # fmt: skip
    # e75 usable on day 90 (received, 14.5 days old), e85 on day 99 (received, 13.5 days old)
    assert ready == DAY0 + 99 * DAY
    assert labels_ready_at(events, outcomes, since=since, as_of=ready - timedelta(seconds=1),
                           youngest_age=10 * DAY, min_positives=2) is None  # fmt: skip
    assert (
        labels_ready_at(
            events, outcomes, since=since, as_of=AS_OF, youngest_age=HORIZON, min_positives=1
        )
        is None
    )  # matured labels only: e75 from day 105.5
    plan = plan_provisional_labels(
        estimate_label_delay(events, outcomes, as_of=AS_OF, maturity_horizon=HORIZON),
        FLOOR_04,
    )
    assert plan.youngest_age == 10 * DAY


def test_after_a_drift_the_training_slice_needs_post_drift_positives_too() -> None:
    # four post-drift frauds on days 1, 2, 10 and 11, each charged back five days later
    days = [1, 2, 10, 11]
    events = pl.DataFrame({"event_id": [f"f{day}" for day in days] + ["legit"],
                           "ts": [DAY0 + day * DAY for day in [*days, 3]]})  # fmt: skip
    outcomes = pl.DataFrame({"event_id": [f"f{day}" for day in days],
                             "outcome": ["chargeback"] * 4,
                             "received_at": [DAY0 + (day + 5) * DAY for day in days]})  # fmt: skip

    def ready(as_of: datetime, before_holdout: timedelta | None) -> datetime | None:
        return labels_ready_at(events, outcomes, since=DAY0, as_of=as_of, youngest_age=3 * DAY,
                               min_positives=2, before_holdout=before_holdout)  # fmt: skip

    # a holdout alone: the second fraud is usable once received, on day 7
    assert ready(AS_OF, None) == DAY0 + 7 * DAY
    # and a training slice before a 7-day holdout: four in all (the fourth on day 16) and two
    # at least 3 + 7 days old (f1 on day 11, f2 on day 12): day 16
    assert ready(AS_OF, 7 * DAY) == DAY0 + 16 * DAY
    # before a 20-day holdout: f2 is old enough for training only on day 2 + 23 = 25
    assert ready(AS_OF, 20 * DAY) == DAY0 + 25 * DAY
    assert ready(DAY0 + 25 * DAY - timedelta(seconds=1), 20 * DAY) is None
    # without the fourth fraud there are never four: not ready, whatever the date
    three = outcomes.filter(pl.col("event_id") != "f11")
    assert labels_ready_at(events, three, since=DAY0, as_of=AS_OF, youngest_age=3 * DAY,
                           min_positives=2, before_holdout=7 * DAY) is None  # fmt: skip


@pytest.mark.parametrize(
    ("provisional", "message"),
    [
        ({"min_delay_share": 0}, "label.provisional.min_delay_share: Input should be greater than 0"),
        ({"min_delay_share": 1.5}, "label.provisional.min_delay_share: Input should be less than or equal to 1"),
        ({"min_matured_positives": 0}, "label.provisional.min_matured_positives: Input should be greater than or equal to 1"),
        ({"floor": 0.3}, "label.provisional.floor: unknown key"),
    ],
)  # fmt: skip
def test_bad_provisional_settings_are_named(provisional: dict[str, object], message: str) -> None:
    raw = {
        "model": {"name": "fraud"},
        "owner": {"name": "Dana Reyes", "contact": "dana@example.com"},
        "label": {"provisional": provisional},
    }
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_config(raw, source="ws.yaml")
