"""Settings of the fraud simulator: frozen pydantic models, one per section.

A knob out of range fails in pydantic with the value and the rule; settings that are valid one
by one but not together (a shift starting after the last day) raise
:class:`~watchkeeper.errors.SimulationError`.

>>> config = SimulationConfig(days=30, per_day=1_000, seed=7)
>>> config.card_count, config.merchant_count
(5000, 100)
>>> SimulationConfig(days=30, segment_shift=SegmentShiftConfig(start_day=45))
Traceback (most recent call last):
...
watchkeeper.errors.SimulationError: segment_shift.start_day 45 is not inside the simulation: it must be below days (30)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from watchkeeper.errors import SimulationError
from watchkeeper.simulate.categories import CATEGORY_NAMES

CARDS_PER_DAILY_TRANSACTION = 5
"""Default number of cards per transaction per day: an average card pays every five days."""
DAILY_TRANSACTIONS_PER_MERCHANT = 10
"""Default number of daily transactions per merchant."""

Amplitude = Annotated[float, Field(ge=0.0, le=1.0)]


class ChargebackLagConfig(BaseModel):
    """How long after a fraudulent transaction its chargeback arrives, if ever.

    >>> ChargebackLagConfig().median_days
    30.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    distribution: Literal["lognormal"] = "lognormal"
    """Shape of the lag distribution; only log-normal for now."""
    median_days: float = Field(30.0, gt=0.0, le=365.0)
    """Median lag between a fraudulent transaction and its chargeback, in days."""
    sigma: float = Field(0.4, gt=0.0, le=3.0)
    """Spread of the log-normal lag (standard deviation of the log of the lag)."""
    never_charged_back: float = Field(0.05, ge=0.0, lt=1.0)
    """Share of frauds that never get a chargeback (the cardholder never notices)."""


class SegmentShiftConfig(BaseModel):
    """A new merchant category arrives with its own customers (data drift).

    Its legitimate traffic is unusual for a model trained before: new cards, larger amounts,
    late hours, payments into other countries, all online.

    >>> SegmentShiftConfig(start_day=540).share
    0.25
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_day: int = Field(ge=0)
    """Day index (0 = the start date) of the first transaction of the new segment."""
    share: float = Field(0.25, gt=0.0, le=0.9)
    """Share of all traffic the new segment takes once the ramp is over."""
    ramp_days: int = Field(0, ge=0)
    """Days over which the share grows linearly from zero; 0 means at once."""
    merchant_category: str = Field("digital_wallet", pattern=r"^[a-z][a-z0-9_]{1,39}$")
    """Name of the new merchant category (lower case, digits and underscores)."""

    @field_validator("merchant_category")
    @classmethod
    def _category_is_new(cls, value: str) -> str:
        if value in CATEGORY_NAMES:
            raise ValueError(
                f"merchant_category {value!r} already exists; the new segment needs a new "
                f"category name (existing: {', '.join(CATEGORY_NAMES)})"
            )
        return value


class FraudAdaptationConfig(BaseModel):
    """Fraudsters move to patterns that look normal on the old features (concept drift).

    Old patterns: card-testing bursts, large amounts at night, foreign countries, online.
    Adapted patterns: ordinary amounts, daytime, domestic, but a device never seen for the
    card on every payment and rapid switching between merchants.

    >>> FraudAdaptationConfig(start_day=540, mode="sudden").adapted_share
    0.9
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_day: int = Field(ge=0)
    """Day index of the first adapted fraud."""
    mode: Literal["sudden", "gradual"] = "gradual"
    """``sudden``: the adapted share applies from ``start_day``; ``gradual``: it ramps up."""
    ramp_days: int = Field(60, ge=1)
    """Days the gradual mode takes to reach ``adapted_share`` (ignored when sudden)."""
    adapted_share: float = Field(0.9, ge=0.0, le=1.0)
    """Share of fraudulent transactions that use the new patterns once the change is over."""


class SimulationConfig(BaseModel):
    """Every knob of one simulation; the same config and seed give the same traffic.

    ``per_day`` counts the transactions of the stable world (before any segment shift); the
    new segment comes on top of them, so that it makes ``share`` of all traffic.

    >>> SimulationConfig(per_day=0)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for SimulationConfig
    per_day
      Input should be greater than or equal to 1 ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date = date(2025, 1, 1)
    """Date of day 0; every timestamp is UTC."""
    days: int = Field(360, ge=1, le=3660)
    """Number of simulated days."""
    per_day: int = Field(20_000, ge=1, le=10_000_000)
    """Mean number of transactions per day of the stable world (fraud included)."""
    cards: int | None = Field(None, ge=10, le=100_000_000)
    """Cards of the stable world; ``None`` means ``5 * per_day``."""
    merchants: int | None = Field(None, ge=len(CATEGORY_NAMES), le=10_000_000)
    """Merchants of the stable world; ``None`` means ``per_day / 10`` (at least 50)."""
    base_fraud_rate: float = Field(0.004, ge=0.0, le=0.2)
    """Share of transactions that are fraudulent."""
    chargeback_lag: ChargebackLagConfig = ChargebackLagConfig()
    daily_seasonality: bool | Amplitude = True
    """Fewer transactions at night: ``True`` (full), ``False`` (flat) or an amplitude 0..1."""
    weekly_seasonality: bool | Amplitude = True
    """More transactions on Fridays and Saturdays: ``True``, ``False`` or an amplitude 0..1."""
    seed: int = Field(0, ge=0, lt=2**63)
    """Seed of every random draw."""
    segment_shift: SegmentShiftConfig | None = None
    """The new merchant segment, or ``None`` for no data drift."""
    fraud_adaptation: FraudAdaptationConfig | None = None
    """The fraudsters' change of patterns, or ``None`` for no concept drift."""

    @model_validator(mode="after")
    def _shifts_inside_simulation(self) -> Self:
        problems = [
            f"{section}.start_day {shift.start_day} is not inside the simulation: "
            f"it must be below days ({self.days})"
            for section, shift in (
                ("segment_shift", self.segment_shift),
                ("fraud_adaptation", self.fraud_adaptation),
            )
            if shift is not None and shift.start_day >= self.days
        ]
        if problems:
            raise SimulationError("; ".join(problems))
        return self

    @property
    def card_count(self) -> int:
        """Number of cards of the stable world, the default resolved.

        >>> SimulationConfig(per_day=100, cards=42).card_count
        42
        """
        if self.cards is not None:
            return self.cards
        return max(10, CARDS_PER_DAILY_TRANSACTION * self.per_day)

    @property
    def merchant_count(self) -> int:
        """Number of merchants of the stable world, the default resolved.

        >>> SimulationConfig(per_day=100).merchant_count
        50
        """
        if self.merchants is not None:
            return self.merchants
        return max(50, self.per_day // DAILY_TRANSACTIONS_PER_MERCHANT)

    @property
    def daily_amplitude(self) -> float:
        """Strength of the daily cycle between 0 (flat) and 1 (full).

        >>> SimulationConfig(daily_seasonality=False).daily_amplitude
        0.0
        """
        return _amplitude(self.daily_seasonality)

    @property
    def weekly_amplitude(self) -> float:
        """Strength of the weekly cycle between 0 (flat) and 1 (full).

        >>> SimulationConfig(weekly_seasonality=0.5).weekly_amplitude
        0.5
        """
        return _amplitude(self.weekly_seasonality)


def _amplitude(setting: bool | float) -> float:
    if isinstance(setting, bool):
        return 1.0 if setting else 0.0
    return float(setting)


__all__ = [
    "ChargebackLagConfig",
    "FraudAdaptationConfig",
    "SegmentShiftConfig",
    "SimulationConfig",
]
