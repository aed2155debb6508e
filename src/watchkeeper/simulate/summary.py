"""Headline figures of simulated traffic: counts, fraud and chargeback rates, month by month.

>>> from watchkeeper.simulate.config import SimulationConfig
>>> from watchkeeper.simulate.generator import simulate
>>> figures = summary(simulate(SimulationConfig(days=40, per_day=200, seed=2)))
>>> [month.month for month in figures.months]
['2025-01', '2025-02']
>>> figures.transactions == sum(month.transactions for month in figures.months)
True
>>> figures.to_dict()["first_ts"]
'2025-01-01T...+00:00'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import polars as pl

from watchkeeper.simulate.traffic import SimulatedTraffic


@dataclass(frozen=True)
class MonthSummary:
    """Figures of the transactions of one calendar month (chargebacks by transaction month)."""

    month: str
    """Year and month, such as ``"2025-01"``."""
    transactions: int
    frauds: int
    fraud_rate: float
    fraud_amount: float
    chargebacks: int
    """Chargebacks of this month's transactions, whenever they arrive."""
    chargeback_rate: float
    """Chargebacks per transaction."""


@dataclass(frozen=True)
class TrafficSummary:
    """Figures of a whole simulated traffic."""

    transactions: int
    frauds: int
    fraud_rate: float
    chargebacks: int
    chargeback_rate: float
    """Chargebacks per transaction."""
    charged_back_fraud_share: float
    """Share of frauds that get a chargeback."""
    cards: int
    merchants: int
    first_ts: datetime | None
    last_ts: datetime | None
    months: tuple[MonthSummary, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-ready values: months as dicts, times as ISO 8601 text."""
        figures = asdict(self)
        for key in ("first_ts", "last_ts"):
            moment = figures[key]
            figures[key] = None if moment is None else moment.isoformat()
        return figures


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def summary(traffic: SimulatedTraffic) -> TrafficSummary:
    """Compute the headline figures of ``traffic``."""
    transactions = traffic.transactions.with_columns(
        charged=pl.col("event_id").is_in(traffic.chargebacks["event_id"].implode()),
        month=pl.col("ts").dt.strftime("%Y-%m"),
    )
    monthly = (
        transactions.group_by("month")
        .agg(
            transactions=pl.len(),
            frauds=pl.col("is_fraud").sum(),
            fraud_amount=pl.col("amount").filter(pl.col("is_fraud")).sum(),
            chargebacks=pl.col("charged").sum(),
        )
        .sort("month")
    )
    months = tuple(
        MonthSummary(
            month=row["month"],
            transactions=row["transactions"],
            frauds=row["frauds"],
            fraud_rate=_share(row["frauds"], row["transactions"]),
            fraud_amount=round(row["fraud_amount"], 2),
            chargebacks=row["chargebacks"],
            chargeback_rate=_share(row["chargebacks"], row["transactions"]),
        )
        for row in monthly.iter_rows(named=True)
    )
    total = transactions.height
    frauds = int(transactions["is_fraud"].sum())
    chargebacks = traffic.chargebacks.height
    return TrafficSummary(
        transactions=total,
        frauds=frauds,
        fraud_rate=_share(frauds, total),
        chargebacks=chargebacks,
        chargeback_rate=_share(chargebacks, total),
        charged_back_fraud_share=_share(chargebacks, frauds),
        cards=transactions["card_id"].n_unique(),
        merchants=transactions["merchant_id"].n_unique(),
        first_ts=transactions["ts"].min() if total else None,  # type: ignore[arg-type]
        last_ts=transactions["ts"].max() if total else None,  # type: ignore[arg-type]
        months=months,
    )


__all__ = ["MonthSummary", "TrafficSummary", "summary"]
