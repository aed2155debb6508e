"""Before its drift episode, an example's world holds still: its numeric inputs keep their
distribution (else monitoring it would alert in the stable months, and rightly)."""

from __future__ import annotations

import polars as pl
import pytest
from scipy.stats import ks_2samp

from watchkeeper.simulate.tabular import simulate_churn


@pytest.mark.parametrize(
    "column",
    ["tenure_days", "monthly_fee", "logins_30d", "support_tickets_30d", "payment_failures"],
)
def test_the_churn_inputs_keep_their_distribution_until_the_shift(column: str) -> None:
    simulation = simulate_churn(days=160, per_day=150, seed=11, shift_day=150)
    day = (pl.col("ts") - pl.col("ts").min()).dt.total_days()
    events = simulation.events.with_columns(day=day)
    early = events.filter(pl.col("day") < 28)[column].to_numpy()
    late = events.filter((pl.col("day") >= 110) & (pl.col("day") < 150))[column].to_numpy()
    assert ks_2samp(early, late).statistic < 0.05  # a drifting input moves it far more
