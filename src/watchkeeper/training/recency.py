"""Recency weights: the traffic of now outweighs the traffic of months ago in training.

After a change in the world (a new segment, fraud that adapted), the rows of a training
window that show it are the newest few; weighted alike with the months before they are
outvoted, and a retrained model learns mostly the old world. With
``training.recency_half_life`` a row's weight halves with each half-life of age, counted
back from the newest row of the rows trained on:

    w(t) = 2 ** (-(t_newest - t) / half_life)

multiplied into the row's own weight (a provisional label's delay weight). In a stable
world the weights only shorten the window's effective length; the validation slice and the
holdout (threshold, gate) stay unweighted by age.

>>> from datetime import UTC, datetime, timedelta
>>> day = datetime(2026, 1, 1, tzinfo=UTC)
>>> times = pl.Series("ts", [day, day + timedelta(days=30), day + timedelta(days=60)])
>>> recency_weights(times, timedelta(days=30)).round(3).tolist()
[0.25, 0.5, 1.0]
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import numpy.typing as npt
import polars as pl


def recency_weights(times: pl.Series, half_life: timedelta) -> npt.NDArray[np.float64]:
    """Each row's recency weight (see the module): 1.0 for the newest of ``times``, halving
    with each ``half_life`` before it. An empty series gives an empty array.

    >>> from datetime import UTC, datetime
    >>> recency_weights(pl.Series("ts", [datetime(2026, 1, 1, tzinfo=UTC)]), timedelta(days=7))
    array([1.])
    """
    if half_life <= timedelta(0):
        raise ValueError(f"the half-life must be positive (got {half_life})")
    if times.len() == 0:
        return np.zeros(0, dtype=np.float64)
    seconds = times.dt.epoch("us").cast(pl.Float64).to_numpy() / 1e6
    age = float(np.nanmax(seconds)) - seconds
    return np.asarray(np.exp2(-age / half_life.total_seconds()), dtype=np.float64)


def weighted_by_recency(
    weights: npt.NDArray[np.float64] | None, times: pl.Series, half_life: timedelta | None
) -> npt.NDArray[np.float64] | None:
    """``weights`` (None: all 1) times the recency weights of ``times``; unchanged without a
    ``half_life``.

    >>> from datetime import UTC, datetime
    >>> times = pl.Series("ts", [datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC)])
    >>> weighted_by_recency(np.array([3.0, 1.0]), times, timedelta(days=7)).tolist()
    [1.5, 1.0]
    >>> weighted_by_recency(None, times, None) is None
    True
    """
    if half_life is None:
        return weights
    recency = recency_weights(times, half_life)
    return recency if weights is None else weights * recency


__all__ = ["recency_weights", "weighted_by_recency"]
