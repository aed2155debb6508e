"""Business outcomes in money: what the model's decisions cost and saved.

For a fraud model (see the workspace's ``monitoring.business`` section):

- *fraud loss approved*: amounts of fraudulent transactions the model let through;
- *fraud prevented*: amounts of fraudulent transactions it flagged;
- *review cost*: flags x the cost of one manual review;
- *false-decline cost*: for each flagged legitimate transaction, a share of its amount
  (lost margin) plus a fixed goodwill cost;
- *net value*: fraud prevented minus review and false-decline costs — what the model is worth
  against approving everything; ``value_against_baseline`` compares the total cost with a
  baseline on the same traffic (no model, or a rule).

The same function gives realized outcomes (``fraud_probability`` = the label, 0 or 1) and
estimated ones (the calibrated probability), so the two are comparable by construction.

>>> from watchkeeper.config import BusinessValueConfig
>>> frame = pl.DataFrame({"amount": [100.0, 50.0, 20.0], "decision": [True, False, True],
...                       "fraud_probability": [1.0, 1.0, 0.0]})
>>> outcome = business_outcome(frame, BusinessValueConfig(review_cost=5, false_decline_rate=0.1,
...                                                      false_decline_cost=1))
>>> outcome.fraud_prevented, outcome.fraud_loss_approved, outcome.review_cost
(100.0, 50.0, 10.0)
>>> outcome.false_decline_cost, outcome.net_value
(3.0, 87.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from watchkeeper.config import BusinessValueConfig


@dataclass(frozen=True)
class BusinessOutcome:
    """Money of one window's decisions, in the configured currency."""

    currency: str
    transactions: int
    flagged: int
    fraud_loss_approved: float
    fraud_prevented: float
    review_cost: float
    false_decline_cost: float
    net_value: float
    baseline_cost: float
    value_against_baseline: float
    estimated: bool

    @property
    def total_cost(self) -> float:
        """Fraud loss approved plus review and false-decline costs."""
        return self.fraud_loss_approved + self.review_cost + self.false_decline_cost


def _costs(
    frame: pl.DataFrame, decision: str, config: BusinessValueConfig, weight: str | None = None
) -> tuple[float, float, float, float, int]:
    flagged = pl.col(decision).cast(pl.Boolean)
    share = pl.lit(1.0) if weight is None else pl.col(weight)
    fraud = pl.col("fraud_probability") * share
    legitimate = share - fraud
    sums = frame.select(
        approved=(pl.col("amount") * fraud).filter(~flagged).sum(),
        prevented=(pl.col("amount") * fraud).filter(flagged).sum(),
        declined_margin=(pl.col("amount") * legitimate).filter(flagged).sum(),
        declined_legitimate=legitimate.filter(flagged).sum(),
        reviews=share.filter(flagged).sum(),
        flags=flagged.sum(),
    ).row(0)
    approved, prevented, declined_margin, declined_legitimate, reviews = (
        float(value or 0.0) for value in sums[:5]
    )
    false_decline = (
        declined_margin * config.false_decline_rate
        + declined_legitimate * config.false_decline_cost
    )
    return approved, prevented, reviews * config.review_cost, false_decline, int(sums[5] or 0)


def business_outcome(
    frame: pl.DataFrame,
    config: BusinessValueConfig,
    *,
    decision: str = "decision",
    baseline_decision: str | None = None,
    estimated: bool = False,
    weight: str | None = None,
) -> BusinessOutcome:
    """Money of the decisions in ``frame`` (columns ``amount``, ``fraud_probability`` and the
    decision column, True = flagged).

    The baseline is "no model" (approve everything) unless ``baseline_decision`` names a
    column holding a rule's decisions on the same rows. ``weight`` names a column of sample
    weights (a row counts that many times in every sum of money; ``flagged`` still counts
    rows): a training holdout with provisional labels.

    >>> frame = pl.DataFrame({"amount": [100.0, 20.0], "decision": [True, True],
    ...                       "fraud_probability": [1.0, 0.0], "weight": [2.0, 1.0]})
    >>> outcome = business_outcome(frame, BusinessValueConfig(review_cost=5, false_decline_rate=0,
    ...                                                      false_decline_cost=0), weight="weight")
    >>> outcome.fraud_prevented, outcome.review_cost, outcome.net_value, outcome.flagged
    (200.0, 15.0, 185.0, 2)
    """
    approved, prevented, review, false_decline, flags = _costs(frame, decision, config, weight)
    if baseline_decision is None:
        baseline_cost = approved + prevented  # every fraud approved, nothing reviewed
    else:
        base = _costs(frame, baseline_decision, config, weight)
        baseline_cost = base[0] + base[2] + base[3]
    model_cost = approved + review + false_decline
    return BusinessOutcome(
        currency=config.currency,
        transactions=frame.height,
        flagged=flags,
        fraud_loss_approved=approved,
        fraud_prevented=prevented,
        review_cost=review,
        false_decline_cost=false_decline,
        net_value=prevented - review - false_decline,
        baseline_cost=baseline_cost,
        value_against_baseline=baseline_cost - model_cost,
        estimated=estimated,
    )


__all__ = ["BusinessOutcome", "business_outcome"]
