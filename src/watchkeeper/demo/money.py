"""What a run's decisions were worth, judged against the hidden truth of the simulation.

The same money model as monitoring (:func:`~watchkeeper.monitoring.outcomes.business.business_outcome`,
the workspace's ``monitoring.business`` settings), but with the truth instead of chargebacks:
the demo may look at it, the system under test never does.

>>> import polars as pl
>>> from watchkeeper.config import BusinessValueConfig
>>> decisions = pl.DataFrame({"event_id": ["a", "b", "c"], "decision": [True, False, True]})
>>> truth = pl.DataFrame({"event_id": ["a", "b", "c"], "amount": [100.0, 50.0, 20.0],
...                       "is_fraud": [True, True, False],
...                       "ts": pl.datetime_range(pl.datetime(2026, 6, 1), pl.datetime(2026, 6, 3),
...                                               "1d", eager=True, time_zone="UTC")})
>>> money = run_money(decisions, truth, BusinessValueConfig(review_cost=5))
>>> money.fraud_loss, money.fraud_prevented, money.false_positives
(50.0, 100.0, 1)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from watchkeeper.config import BusinessValueConfig
from watchkeeper.monitoring.outcomes.business import business_outcome

TRUTH = "is_fraud"


@dataclass(frozen=True)
class WeekMoney:
    """One week's money (weeks start on Monday, UTC)."""

    week: str
    fraud_loss: float
    fraud_prevented: float
    false_positives: int
    business_value: float


@dataclass(frozen=True)
class RunMoney:
    """A whole run's money and its weekly series."""

    fraud_loss: float
    fraud_prevented: float
    false_positives: int
    business_value: float
    weekly: tuple[WeekMoney, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, money rounded to cents."""
        document = asdict(self)
        for key in ("fraud_loss", "fraud_prevented", "business_value"):
            document[key] = round(document[key], 2)
        for week in document["weekly"]:
            for key in ("fraud_loss", "fraud_prevented", "business_value"):
                week[key] = round(week[key], 2)
        return document


def run_money(
    decisions: pl.DataFrame, truth: pl.DataFrame, config: BusinessValueConfig
) -> RunMoney:
    """Money of ``decisions`` (event_id, decision) on ``truth`` (event_id, ts, amount,
    is_fraud): fraud loss approved, fraud prevented, false positives and the net value
    (prevented minus review and false-decline costs)."""
    joined = truth.join(decisions.select("event_id", "decision"), on="event_id", how="inner")
    joined = joined.with_columns(
        fraud_probability=pl.col(TRUTH).cast(pl.Float64),
        week=pl.col("ts").dt.truncate("1w").dt.date().cast(pl.String),
    )
    weeks = tuple(
        _week(str(week[0]), part, config)
        for week, part in joined.sort("ts").group_by("week", maintain_order=True)
    )
    total = business_outcome(joined, config)
    return RunMoney(
        fraud_loss=total.fraud_loss_approved,
        fraud_prevented=total.fraud_prevented,
        false_positives=_false_positives(joined),
        business_value=total.net_value,
        weekly=weeks,
    )


def _week(week: str, part: pl.DataFrame, config: BusinessValueConfig) -> WeekMoney:
    outcome = business_outcome(part, config)
    return WeekMoney(
        week=week,
        fraud_loss=outcome.fraud_loss_approved,
        fraud_prevented=outcome.fraud_prevented,
        false_positives=_false_positives(part),
        business_value=outcome.net_value,
    )


def _false_positives(frame: pl.DataFrame) -> int:
    return int(frame.filter(pl.col("decision") & ~pl.col(TRUTH)).height)


__all__ = ["RunMoney", "WeekMoney", "run_money"]
