"""Daily and weekly rhythms, and drawing times of day from them.

An hourly profile gives the relative activity of each hour (UTC is treated as local time). An
amplitude between 0 and 1 blends a profile with a flat one: 0 means every hour alike, 1 the
full rhythm.

>>> profile = hourly_weights(EVERYDAY_HOURS, amplitude=1.0)
>>> bool(profile[3] < profile[12])
True
>>> float(hourly_weights(EVERYDAY_HOURS, amplitude=0.0)[3])
1.0
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MICROSECONDS_PER_HOUR = 3_600_000_000
MICROSECONDS_PER_DAY = 24 * MICROSECONDS_PER_HOUR

EVERYDAY_HOURS: tuple[float, ...] = (
    0.25, 0.15, 0.10, 0.08, 0.08, 0.15, 0.40, 0.80, 1.10, 1.30, 1.45, 1.60,
    1.75, 1.60, 1.45, 1.40, 1.50, 1.70, 1.80, 1.60, 1.30, 1.00, 0.70, 0.45,
)  # fmt: skip
"""Everyday spending: quiet nights, a lunch peak and an early-evening peak."""

SEGMENT_HOURS: tuple[float, ...] = (
    1.60, 1.40, 1.10, 0.80, 0.50, 0.30, 0.20, 0.20, 0.30, 0.40, 0.50, 0.60,
    0.70, 0.70, 0.70, 0.80, 0.90, 1.00, 1.20, 1.50, 1.90, 2.20, 2.20, 2.00,
)  # fmt: skip
"""The new segment's customers: late evening and around midnight."""

NIGHT_HOURS: tuple[float, ...] = (1.0,) * 6 + (0.0,) * 18
"""Old-style fraud that strikes while the cardholder sleeps: midnight to 6 am."""

WEEKDAYS: tuple[float, ...] = (0.92, 0.95, 0.98, 1.02, 1.12, 1.10, 0.91)
"""Monday to Sunday: busier Fridays and Saturdays."""


def hourly_weights(profile: tuple[float, ...], amplitude: float) -> npt.NDArray[np.float64]:
    """Return the 24 hourly weights of ``profile`` (mean 1) blended with a flat day.

    >>> weights = hourly_weights(EVERYDAY_HOURS, amplitude=0.5)
    >>> round(float(weights.mean()), 6)
    1.0
    """
    shape = np.asarray(profile, dtype=np.float64)
    shape = shape / shape.mean()
    weights: npt.NDArray[np.float64] = 1.0 + amplitude * (shape - 1.0)
    return weights


def weekday_factor(weekday: int, amplitude: float) -> float:
    """Return the volume factor of a weekday (0 = Monday), 1 on average over a week.

    >>> weekday_factor(4, 1.0) > weekday_factor(6, 1.0)
    True
    >>> weekday_factor(4, 0.0)
    1.0
    """
    shape = np.asarray(WEEKDAYS, dtype=np.float64)
    shape = shape / shape.mean()
    return float(1.0 + amplitude * (shape[weekday] - 1.0))


def draw_times_of_day(
    generator: np.random.Generator, weights: npt.NDArray[np.float64], size: int
) -> npt.NDArray[np.int64]:
    """Draw ``size`` microseconds since midnight, hours weighted by ``weights``.

    >>> times = draw_times_of_day(np.random.default_rng(0), hourly_weights(NIGHT_HOURS, 1.0), 100)
    >>> bool((times < 6 * MICROSECONDS_PER_HOUR).all())
    True
    """
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    hours = np.searchsorted(cumulative, generator.random(size), side="right")
    hours = np.minimum(hours, 23)
    within = generator.integers(0, MICROSECONDS_PER_HOUR, size)
    return hours.astype(np.int64) * MICROSECONDS_PER_HOUR + within


__all__ = [
    "EVERYDAY_HOURS",
    "MICROSECONDS_PER_DAY",
    "MICROSECONDS_PER_HOUR",
    "NIGHT_HOURS",
    "SEGMENT_HOURS",
    "WEEKDAYS",
    "draw_times_of_day",
    "hourly_weights",
    "weekday_factor",
]
