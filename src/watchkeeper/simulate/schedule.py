"""How much of each kind of traffic a day holds: volumes, seasonality and the shifts' ramps.

>>> from watchkeeper.simulate.config import SegmentShiftConfig, SimulationConfig
>>> config = SimulationConfig(
...     days=100, per_day=1_000, weekly_seasonality=False,
...     segment_shift=SegmentShiftConfig(start_day=50, share=0.2, ramp_days=10),
... )
>>> plan_day(config, 10).segment_transactions
0
>>> plan_day(config, 54).segment_transactions, plan_day(config, 70).segment_transactions
(111, 250)
"""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper.simulate.config import SimulationConfig
from watchkeeper.simulate.seasonality import weekday_factor


@dataclass(frozen=True)
class DayPlan:
    """The expected make-up of one simulated day."""

    day: int
    stable_transactions: int
    """Transactions of the stable world's cards, fraud included."""
    segment_transactions: int
    """Transactions of the new segment's customers (all legitimate)."""
    expected_fraud_transactions: float
    """Mean number of fraudulent transactions (drawn from a Poisson law per episode kind)."""
    adapted_share: float
    """Share of the day's fraudulent transactions that use the adapted patterns."""


def segment_share(config: SimulationConfig, day: int) -> float:
    """Return the share of traffic the new segment takes on ``day`` (0 before it starts).

    >>> from watchkeeper.simulate.config import SegmentShiftConfig, SimulationConfig
    >>> shift = SegmentShiftConfig(start_day=5, share=0.3, ramp_days=3)
    >>> config = SimulationConfig(days=20, segment_shift=shift)
    >>> [round(segment_share(config, day), 2) for day in (4, 5, 6, 7, 8)]
    [0.0, 0.1, 0.2, 0.3, 0.3]
    """
    shift = config.segment_shift
    if shift is None or day < shift.start_day:
        return 0.0
    if shift.ramp_days == 0:
        return shift.share
    return shift.share * min(1.0, (day - shift.start_day + 1) / shift.ramp_days)


def adapted_share(config: SimulationConfig, day: int) -> float:
    """Return the share of fraud that uses the adapted patterns on ``day``.

    >>> from watchkeeper.simulate.config import FraudAdaptationConfig, SimulationConfig
    >>> change = FraudAdaptationConfig(start_day=10, mode="gradual", ramp_days=4)
    >>> config = SimulationConfig(days=30, fraud_adaptation=change)
    >>> [round(adapted_share(config, day), 3) for day in (9, 10, 11, 13, 20)]
    [0.0, 0.225, 0.45, 0.9, 0.9]
    """
    change = config.fraud_adaptation
    if change is None or day < change.start_day:
        return 0.0
    if change.mode == "sudden":
        return change.adapted_share
    return change.adapted_share * min(1.0, (day - change.start_day + 1) / change.ramp_days)


def plan_day(config: SimulationConfig, day: int) -> DayPlan:
    """Return the volumes of ``day`` (0 = the start date).

    >>> from watchkeeper.simulate.config import SimulationConfig
    >>> plan = plan_day(SimulationConfig(per_day=1_000, weekly_seasonality=False), 3)
    >>> plan.stable_transactions, plan.segment_transactions, plan.expected_fraud_transactions
    (1000, 0, 4.0)
    """
    weekday = (config.start.weekday() + day) % 7
    stable = round(config.per_day * weekday_factor(weekday, config.weekly_amplitude))
    share = segment_share(config, day)
    segment = round(stable * share / (1.0 - share))
    return DayPlan(
        day=day,
        stable_transactions=stable,
        segment_transactions=segment,
        expected_fraud_transactions=config.base_fraud_rate * (stable + segment),
        adapted_share=adapted_share(config, day),
    )


__all__ = ["DayPlan", "adapted_share", "plan_day", "segment_share"]
