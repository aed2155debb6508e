"""When fraudulent transactions are charged back: weeks later, and sometimes never.

Each fraudulent transaction gets its own lag, log-normal around the configured median; a
configured share is never charged back. The lag is at least one hour, so a chargeback always
comes strictly after its transaction, and at most ten years. Legitimate transactions are never
charged back.

>>> from watchkeeper.simulate.config import ChargebackLagConfig
>>> lags = draw_chargeback_lags(np.random.default_rng(0), ChargebackLagConfig(), 10_000)
>>> round(float(np.median(lags[lags >= 0])) / MICROSECONDS_PER_DAY)
30
>>> round(float((lags == NO_CHARGEBACK).mean()), 2)
0.05
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from watchkeeper.simulate.batch import NO_CHARGEBACK
from watchkeeper.simulate.config import ChargebackLagConfig
from watchkeeper.simulate.seasonality import MICROSECONDS_PER_DAY, MICROSECONDS_PER_HOUR

SHORTEST_LAG = MICROSECONDS_PER_HOUR
"""No chargeback comes sooner than an hour after its transaction."""
LONGEST_LAG_DAYS = 3650.0


def draw_chargeback_lags(
    generator: np.random.Generator, settings: ChargebackLagConfig, count: int
) -> npt.NDArray[np.int64]:
    """Draw the lags (microseconds, or :data:`NO_CHARGEBACK`) of ``count`` frauds.

    >>> settings = ChargebackLagConfig(never_charged_back=0.0)
    >>> bool((draw_chargeback_lags(np.random.default_rng(1), settings, 5) >= SHORTEST_LAG).all())
    True
    """
    days = generator.lognormal(np.log(settings.median_days), settings.sigma, count)
    days = np.minimum(days, LONGEST_LAG_DAYS)
    lags = np.maximum((days * MICROSECONDS_PER_DAY).astype(np.int64), SHORTEST_LAG)
    never = generator.random(count) < settings.never_charged_back
    return np.where(never, NO_CHARGEBACK, lags)


__all__ = ["LONGEST_LAG_DAYS", "SHORTEST_LAG", "draw_chargeback_lags"]
