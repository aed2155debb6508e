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
>>> money = run_money(decisions, truth, BusinessValueConfig(review_cost=5, false_decline_rate=0.1,
...                                                        false_decline_cost=1))
>>> money.fraud_loss, money.fraud_prevented, money.false_positives
(50.0, 100.0, 1)
>>> money.fraud_prevented - money.review_cost - money.false_decline_cost == money.business_value
True
>>> money.review_cost, money.false_decline_cost, money.business_value
(10.0, 3.0, 87.0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.config import BusinessValueConfig
from watchkeeper.monitoring.outcomes.business import business_outcome

TRUTH = "is_fraud"

FRAUD_LOSS = "fraud_loss"
"""Fraud approved, judged against the truth: every fraud, charged back or not (monitoring's
``fraud_loss_approved`` counts the chargebacks received)."""

MONEY_TERMS = (
    FRAUD_LOSS,
    names.FRAUD_PREVENTED,
    names.REVIEW_COST,
    names.FALSE_DECLINE_COST,
    names.BUSINESS_VALUE,
)
"""The money fields of :class:`WeekMoney` and :class:`RunMoney`; ``business_value`` is
``fraud_prevented - review_cost - false_decline_cost`` (the fraud loss is not a term of it:
approving everything would lose that fraud too)."""


@dataclass(frozen=True)
class WeekMoney:
    """One week's money (weeks start on Monday, UTC)."""

    week: str
    fraud_loss: float
    fraud_prevented: float
    false_positives: int
    business_value: float
    review_cost: float
    false_decline_cost: float


@dataclass(frozen=True)
class RunMoney:
    """A whole run's money and its weekly series: every decision from launch to the end,
    judged against the simulation's truth.

    ``business_value`` = ``fraud_prevented`` - ``review_cost`` - ``false_decline_cost``, and
    each total is the sum of its weeks (:meth:`to_dict` keeps both true after rounding).
    """

    fraud_loss: float
    fraud_prevented: float
    false_positives: int
    business_value: float
    weekly: tuple[WeekMoney, ...]
    review_cost: float
    false_decline_cost: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, money rounded to cents: the net value is computed from its rounded
        terms, so the document's terms sum to its totals to the cent."""
        document = asdict(self)
        for part in (document, *document["weekly"]):
            _round_terms(part)
        return document


def _round_terms(document: dict[str, Any]) -> None:
    for key in MONEY_TERMS:
        document[key] = round(document[key], 2)
    document[names.BUSINESS_VALUE] = round(
        document[names.FRAUD_PREVENTED]
        - document[names.REVIEW_COST]
        - document[names.FALSE_DECLINE_COST],
        2,
    )


def run_money(
    decisions: pl.DataFrame, truth: pl.DataFrame, config: BusinessValueConfig
) -> RunMoney:
    """Money of ``decisions`` (event_id, decision) on ``truth`` (event_id, ts, amount,
    is_fraud): fraud loss approved, fraud prevented, false positives, review and
    false-decline costs, and the net value (prevented minus those two costs)."""
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
        review_cost=total.review_cost,
        false_decline_cost=total.false_decline_cost,
    )


def _week(week: str, part: pl.DataFrame, config: BusinessValueConfig) -> WeekMoney:
    outcome = business_outcome(part, config)
    return WeekMoney(
        week=week,
        fraud_loss=outcome.fraud_loss_approved,
        fraud_prevented=outcome.fraud_prevented,
        false_positives=_false_positives(part),
        business_value=outcome.net_value,
        review_cost=outcome.review_cost,
        false_decline_cost=outcome.false_decline_cost,
    )


def _false_positives(frame: pl.DataFrame) -> int:
    return int(frame.filter(pl.col("decision") & ~pl.col(TRUTH)).height)


__all__ = ["MONEY_TERMS", "RunMoney", "WeekMoney", "run_money"]
