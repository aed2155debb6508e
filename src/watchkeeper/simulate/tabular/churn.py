"""Subscription churn: monthly activity snapshots of accounts, churned or renewed 30 days on.

Accounts have a plan and its monthly fee, a tenure, an activity level and an auto-renew
setting. Each event is an account's activity over the last 30 days (logins, support tickets,
payment failures); the account churns within the next 30 days (outcome ``churned``, on the
day it leaves) or renews at the end of them (outcome ``renewed``). About 6% churn.

The drift episode from ``shift_day`` on, ramped over three weeks:

* covariate shift: a new cohort arrives on a family-plan promotion, so the plan mix, the fees
  and the tenures of the traffic move (up to 40% of the snapshots);
* concept change: a competitor cuts its prices, so expensive accounts churn far more than
  before, however active they are.

>>> simulation = simulate_churn(days=40, per_day=50, shift_day=20, seed=1)
>>> simulation.events.columns == list(CHURN_COLUMNS)
True
>>> sorted(simulation.outcomes["outcome"].unique().to_list())
['churned', 'renewed']
"""

from __future__ import annotations

import numpy as np
import polars as pl

from watchkeeper.simulate.tabular.common import (
    TabularSimulation,
    assemble,
    check_shape,
    day_microseconds,
    days_to_microseconds,
    labels,
    ramp,
    timestamps,
)

CHURN_COLUMNS = (
    "event_id",
    "ts",
    "account_id",
    "plan",
    "monthly_fee",
    "tenure_days",
    "logins_30d",
    "support_tickets_30d",
    "payment_failures",
    "auto_renew",
)
"""The columns of a churn event, as the churn example workspace declares them."""

PLANS = ("basic", "standard", "premium", "family")
_PLAN_FEES = np.array([9.99, 15.99, 22.99, 27.99])
_STABLE_PLAN_MIX = np.array([0.35, 0.40, 0.20, 0.05])
_NEW_COHORT_PLAN_MIX = np.array([0.10, 0.15, 0.15, 0.60])
_NEW_COHORT_SHARE = 0.4
_NEW_COHORT_ACCOUNTS = 0.5
"""The new cohort's size relative to the existing accounts."""

DESCRIPTION = (
    "Subscription accounts; from shift_day a new cohort on a family-plan promotion arrives "
    "and a competitor's price cut makes expensive accounts churn more (ramped over 3 weeks)."
)


def simulate_churn(
    days: int = 240,
    per_day: int = 100,
    seed: int = 0,
    shift_day: int = 150,
    accounts: int = 3_000,
) -> TabularSimulation:
    """Simulate ``days`` days of ``per_day`` account snapshots of ``accounts`` accounts."""
    check_shape(days, per_day, shift_day)
    population = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    old = max(1, accounts)
    new = max(1, round(old * _NEW_COHORT_ACCOUNTS))
    plan = np.concatenate(
        [
            population.choice(len(PLANS), size=old, p=_STABLE_PLAN_MIX),
            population.choice(len(PLANS), size=new, p=_NEW_COHORT_PLAN_MIX),
        ]
    )
    fee = np.round(_PLAN_FEES[plan] * population.lognormal(0.0, 0.08, old + new), 2)
    # An old account slot is a subscription renewed by a new customer when one leaves: its
    # tenure cycles through ``lifetime`` days from a random phase, so the tenures of the
    # stable traffic keep one distribution (growing for ever, they would drift by themselves).
    lifetime = np.floor(60 + population.exponential(840, old))
    phase = np.floor(population.random(old) * lifetime)
    signup = np.concatenate(
        [-phase, population.integers(shift_day, days, new, endpoint=False).astype(np.float64)]
    )
    activity = population.lognormal(0.0, 0.45, old + new)
    auto_renew = np.concatenate([population.random(old) < 0.75, population.random(new) < 0.6])

    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    size = days * per_day
    day = np.repeat(np.arange(days, dtype=np.int64), per_day)
    strength = ramp(day, shift_day)
    from_new = rng.random(size) < _NEW_COHORT_SHARE * strength
    account = np.where(from_new, old + rng.integers(0, new, size), rng.integers(0, old, size))
    # A new account is seen in its first weeks: it signed up a few days to two months ago.
    tenure = np.where(
        from_new,
        rng.integers(3, 60, size),
        np.mod(
            day - signup[np.minimum(account, old - 1)], lifetime[np.minimum(account, old - 1)]
        ).astype(np.int64),
    ).astype(np.int64)
    logins = rng.poisson(12.0 * activity[account])
    tickets = rng.poisson(0.25 + 0.35 / activity[account])
    failures = np.minimum(rng.poisson(0.12, size), 3)
    fee_z = (fee[account] - 16.0) / 6.0

    logit = (
        -1.15
        - 0.11 * logins
        + 0.5 * tickets
        + 0.8 * failures
        - 0.45 * np.log1p(tenure / 365.0)
        - 0.9 * auto_renew[account]
        + strength * (1.6 * fee_z + 0.09 * logins - 2.3)
    )
    churned = rng.random(size) < 1.0 / (1.0 + np.exp(-logit))
    at = day_microseconds(day) + days_to_microseconds(rng.random(size))
    # A churned account leaves within the 30 days; a renewal is booked on day 30.
    delay = np.where(churned, 1.0 + 29.0 * rng.random(size) ** 1.5, 30.0 + rng.random(size))

    events = pl.DataFrame(
        [
            timestamps(at, "ts"),
            pl.Series("account_id", account, dtype=pl.Int64).cast(pl.String).str.zfill(5),
            labels(PLANS, plan[account], "plan"),
            pl.Series("monthly_fee", fee[account], dtype=pl.Float64),
            pl.Series("tenure_days", tenure, dtype=pl.Int64),
            pl.Series("logins_30d", logins, dtype=pl.Int64),
            pl.Series("support_tickets_30d", tickets, dtype=pl.Int64),
            pl.Series("payment_failures", failures, dtype=pl.Int64),
            pl.Series("auto_renew", auto_renew[account], dtype=pl.Boolean),
        ]
    ).with_columns(account_id="a" + pl.col("account_id"))
    outcomes = pl.DataFrame(
        [
            labels(("renewed", "churned"), churned.astype(np.int64), "outcome"),
            timestamps(at + days_to_microseconds(delay), "outcome_ts"),
        ]
    )
    return assemble(
        events,
        outcomes,
        prefix="churn",
        columns=CHURN_COLUMNS,
        shift_day=shift_day,
        description=DESCRIPTION,
    )


__all__ = ["CHURN_COLUMNS", "PLANS", "simulate_churn"]
