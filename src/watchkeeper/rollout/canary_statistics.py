"""The canary's statistics, computed from the logged predictions of its period.

Rows routed ``champion`` and scored by the rollout's champion version count for the champion;
rows routed ``canary`` or ``shadow`` and scored by the challenger count for the challenger.
Request errors are not in the prediction log: the service passes its own counts.

>>> from datetime import UTC, datetime
>>> import polars as pl
>>> frame = pl.DataFrame({"route": ["champion", "canary", "canary"], "model_version": [1, 2, 2],
...                       "score": [0.1, 0.95, 0.2], "decision": [False, True, False],
...                       "latency_ms": [1.0, 2.0, 2.0]})
>>> statistics = statistics_from_predictions(frame, champion_version=1, challenger_version=2)
>>> statistics.challenger.events, statistics.challenger.flags, statistics.champion.events
(2, 1, 1)
>>> list(statistics.challenger.score_counts)
[0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import polars as pl

from watchkeeper.rollout.guards import SCORE_BINS, CanaryStatistics, RouteStatistics
from watchkeeper.storage.events import EventStore
from watchkeeper.storage.rollout_store import RolloutRecord

HOLDOUT_FLAG_RATE_METRICS = ("holdout_flag_rate", "flag_rate")
"""The registry metrics read, in this order, as the flag rate a version's holdout predicted."""


def route_statistics(frame: pl.DataFrame, errors: int = 0) -> RouteStatistics:
    """Counts, flags, total latency and the score histogram of some prediction rows."""
    if frame.is_empty():
        return RouteStatistics(errors=errors)
    bins = (frame["score"] * SCORE_BINS).floor().clip(0, SCORE_BINS - 1).cast(pl.Int64)
    counts = [0] * SCORE_BINS
    for value, count in bins.value_counts().iter_rows():
        counts[int(value)] = int(count)
    latency = frame["latency_ms"].fill_null(0.0).sum()
    return RouteStatistics(
        events=frame.height,
        errors=errors,
        latency_ms_total=float(latency),
        flags=int(frame["decision"].sum()),
        score_counts=tuple(counts),
    )


def statistics_from_predictions(
    frame: pl.DataFrame,
    *,
    champion_version: int,
    challenger_version: int,
    holdout_flag_rate: float | None = None,
    challenger_errors: int = 0,
) -> CanaryStatistics:
    """Champion and challenger statistics from the prediction rows of the canary period."""
    champion = frame.filter(
        (pl.col("route") == "champion") & (pl.col("model_version") == champion_version)
    )
    challenger = frame.filter(
        pl.col("route").is_in(["canary", "shadow"])
        & (pl.col("model_version") == challenger_version)
    )
    return CanaryStatistics(
        champion=route_statistics(champion),
        challenger=route_statistics(challenger, challenger_errors),
        holdout_flag_rate=holdout_flag_rate,
    )


def holdout_flag_rate(metrics: Mapping[str, Any]) -> float | None:
    """The holdout flag rate recorded with a version, if any.

    >>> holdout_flag_rate({"flag_rate": 0.01}), holdout_flag_rate({})
    (0.01, None)
    """
    for name in HOLDOUT_FLAG_RATE_METRICS:
        value = metrics.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def canary_statistics(
    events: EventStore,
    rollout: RolloutRecord,
    *,
    until: datetime | None = None,
    holdout: float | None = None,
    challenger_errors: int = 0,
) -> CanaryStatistics:
    """The canary's statistics from the predictions logged since it started (flushed first).

    ``until`` bounds the event time (None: everything logged so far).
    """
    events.flush()
    frame = events.read("predictions", rollout.started_at, until)
    return statistics_from_predictions(
        frame,
        champion_version=rollout.champion_version,
        challenger_version=rollout.challenger_version,
        holdout_flag_rate=holdout,
        challenger_errors=challenger_errors,
    )


__all__ = [
    "canary_statistics",
    "holdout_flag_rate",
    "route_statistics",
    "statistics_from_predictions",
]
