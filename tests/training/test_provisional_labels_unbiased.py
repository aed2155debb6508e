"""Provisional labels are unbiased where the truth is known: the simulator's own chargebacks.

Eight months of simulated card traffic (4,000 transactions a day, 2 % fraud so the slice holds
thousands of positives), the fraudsters adapting suddenly on day 200 (domestic payments
instead of foreign ones). As of day 240, the events between 24 and 60 days old join the
window with provisional labels. The simulator knows every chargeback, including those
received after as-of, so each provisional event's final label — a chargeback received within
the 60-day horizon — is known here, and the window's estimates are compared with it:

- the weighted positive rate of the provisional rows, with the unweighted one biased low
  (the positives still in the post are missing from it);
- the share of foreign payments among positives, which the adaptation changed: the known
  positives over-represent the older, pre-adaptation events; the weights restore the balance.

Each 95 % interval adds two variances: which positives have arrived by as-of (given the
truth, a positive of delay share ``F`` is known with probability ``F``, so the weighted total
has variance ``sum (1 - F) / F`` over the positives, estimated by ``sum (1 - F) / F**2`` over
the known ones) and the estimate of ``F`` itself (a bootstrap of the matured delays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from watchkeeper.config import ProvisionalLabelsConfig
from watchkeeper.simulate import preset, simulate
from watchkeeper.simulate.to_event_store import chargebacks_as_outcomes
from watchkeeper.training.label_delay import LabelDelay
from watchkeeper.training.window import TrainingWindow, training_window

DAYS, SHIFT, PER_DAY = 240, 200, 4_000
HORIZON = timedelta(days=60)
Z95 = 1.959964
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ProvisionalSlice:
    """The window's provisional rows beside their truth, and the delay estimate used."""

    window: TrainingWindow
    rows: pl.DataFrame
    share: FloatArray  # F(age) of each row
    delay: LabelDelay


@pytest.fixture(scope="module")
def provisional() -> ProvisionalSlice:
    config = preset(
        "case-study",
        seed=1,
        days=DAYS,
        per_day=PER_DAY,
        base_fraud_rate=0.02,
        segment_shift=None,
        fraud_adaptation={"start_day": SHIFT, "mode": "sudden"},
    )
    traffic = simulate(config)
    transactions = traffic.transactions
    outcomes = chargebacks_as_outcomes(traffic.chargebacks)
    as_of = datetime.combine(config.start, datetime.min.time(), tzinfo=UTC) + timedelta(days=DAYS)
    window = training_window(
        transactions.drop("is_fraud"),  # the system never sees the truth
        outcomes,
        as_of=as_of,
        maturity_horizon=HORIZON,
        window=timedelta(days=90),
        validation=timedelta(days=14),
        holdout=timedelta(days=14),
        provisional=ProvisionalLabelsConfig(),
    )
    assert window.provisional is not None and window.provisional.delay is not None
    # the final label of every event, from every chargeback the simulator will ever send
    first = outcomes.group_by("event_id").agg(pl.col("received_at").min())
    truth = transactions.join(first, on="event_id", how="left").select(
        "event_id",
        "is_fraud",
        final=((pl.col("received_at") - pl.col("ts")) <= HORIZON).fill_null(False),
    )
    rows = (
        pl.concat([window.train, window.validation, window.holdout])
        .filter(pl.col("label_status") == "provisional")
        .join(truth, on="event_id", how="inner", maintain_order="left")
        .with_columns(age=(pl.lit(as_of) - pl.col("ts")).dt.total_microseconds() / 1e6)
    )
    delay = window.provisional.delay
    return ProvisionalSlice(window, rows, delay.share_received(rows["age"].to_numpy()), delay)


def bootstrap_variance(
    delay: LabelDelay, ages: FloatArray, statistic_of_weights: object, samples: int = 300
) -> float:
    """The variance a re-estimated ``F`` gives ``statistic_of_weights(1 / F(ages))``."""
    generator = np.random.default_rng(0)
    values = []
    for _ in range(samples):
        drawn = LabelDelay(delay.horizon, generator.choice(delay.delays, delay.delays.size))
        with np.errstate(divide="ignore"):
            weights = 1.0 / drawn.share_received(ages)
        values.append(statistic_of_weights(weights))  # type: ignore[operator]
    return float(np.var(values, ddof=1))


def test_the_weighted_positive_rate_matches_the_truth_and_the_unweighted_is_low(
    provisional: ProvisionalSlice,
) -> None:
    rows, share = provisional.rows, provisional.share
    known = rows["label"].to_numpy() == 1
    weight = rows["weight"].to_numpy()
    assert np.allclose(weight[known], 1 / share[known]) and (weight[~known] == 1).all()
    events = rows.height
    true_rate = float(rows["final"].mean())  # type: ignore[arg-type]
    # the weighted total of positives and its interval (arrivals, then the estimate of F)
    total = float(weight[known].sum())
    arrival = float(np.sum((1 - share[known]) / share[known] ** 2))
    estimate = bootstrap_variance(
        provisional.delay, rows.filter(pl.Series(known))["age"].to_numpy(), np.sum
    )
    spread = Z95 * np.sqrt(arrival + estimate)
    unknown = events - int(known.sum())

    def rate(positives: float) -> float:  # the weighted rate sum(w y) / sum(w)
        return positives / (unknown + positives)

    weighted, low, high = rate(total), rate(total - spread), rate(total + spread)
    unweighted = float(known.mean())
    print(  # the figures, for the record (pytest -s)
        f"\nprovisional rows {events}, known positives {int(known.sum())}, final positives "
        f"{int(rows['final'].sum())}; true rate {true_rate:.5f} (is_fraud "
        f"{float(rows['is_fraud'].mean()):.5f}); weighted {weighted:.5f} [95% {low:.5f}, "  # type: ignore[arg-type]
        f"{high:.5f}]; unweighted {unweighted:.5f}"
    )
    assert low <= true_rate <= high
    assert unweighted < low  # biased low: the positives not yet received count as negatives
    assert unweighted < 0.85 * true_rate


def test_the_weighted_mean_of_a_feature_among_positives_matches_the_truth(
    provisional: ProvisionalSlice,
) -> None:
    rows, share = provisional.rows, provisional.share
    foreign = (rows["country"] != "US").cast(pl.Float64).to_numpy()
    known = rows["label"].to_numpy() == 1
    final = rows["final"].to_numpy()
    weight = rows["weight"].to_numpy()
    true_share = float(foreign[final].mean())
    weighted = float(np.sum(weight[known] * foreign[known]) / weight[known].sum())
    # a ratio of weighted sums: linearized, its arrival variance is that of sum w (x - mean)
    centred = foreign[known] - weighted
    arrival = float(np.sum((1 - share[known]) / share[known] ** 2 * centred**2))
    arrival /= float(weight[known].sum()) ** 2
    estimate = bootstrap_variance(
        provisional.delay,
        rows.filter(pl.Series(known))["age"].to_numpy(),
        lambda weights: np.sum(weights * foreign[known]) / np.sum(weights),
    )
    spread = Z95 * np.sqrt(arrival + estimate)
    unweighted = float(foreign[known].mean())
    print(
        f"\nforeign share among positives: true {true_share:.4f}; weighted {weighted:.4f} "
        f"[95% {weighted - spread:.4f}, {weighted + spread:.4f}]; unweighted {unweighted:.4f}"
    )
    assert abs(weighted - true_share) <= spread
    assert unweighted > weighted + spread  # the older, pre-adaptation fraud weighs too much


def test_the_window_says_which_labels_are_provisional(provisional: ProvisionalSlice) -> None:
    window = provisional.window
    plan = window.provisional
    assert plan is not None and plan.youngest_age is not None
    assert timedelta(days=20) < plan.youngest_age < timedelta(days=30)  # median lag 30 days
    assert window.window_end == window.as_of - plan.youngest_age
    assert (provisional.share >= 0.3).all()
    counts = window.counts()
    assert sum(part["provisional_rows"] for part in counts.values()) == provisional.rows.height
    described = window.describe()
    assert described["provisional_labels"]["used"] is True
    assert described["provisional_labels"]["label_delay"]["matured_positives"] > 1000
    assert counts["holdout"]["provisional_rows"] == counts["holdout"]["rows"]
