"""Realized performance per chunk, judged by the reference's own chunk-to-chunk band.

The values come from :func:`~watchkeeper.monitoring.outcomes.task_performance.realized_task_metrics`,
the monitor jobs' code. The verdict: the reference is cut into chunks like the current data
(chunks by number: into chunks of the current's chunk size, so that both vary as much), each
reference chunk's realized value is computed, and a current value outside their mean ± 3
standard deviations (the band NannyML draws) is an ``alert``, inside it ``ok``. The band is
clipped to the metric's range (0 to 1 for shares and areas, at least 0 for errors, R² at
most 1). A metric the chunk cannot give is ``no_data``; one with fewer than two reference
values, ``unjudged``. An improvement beyond the band alerts too: it is a change.

>>> band = band_of([0.80, 0.82, 0.78, 0.80], "f1")
>>> round(band.lower, 4), round(band.upper, 4)
(0.751, 0.849)
>>> band_verdict(0.7, band_of([0.80, 0.82, 0.78, 0.80], "f1")), band_verdict(None, None)
('alert', 'no_data')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.analysis.results import ResultRow, RowVerdict
from watchkeeper.config import ModelTask
from watchkeeper.monitoring.comparison.chunks import Chunk
from watchkeeper.monitoring.outcomes.task_performance import (
    TaskMetric,
    metric_value,
    realized_task_metrics,
)
from watchkeeper.performance.binary import MetricValue

BAND_DEVIATIONS = 3.0
"""How many standard deviations of the reference's chunk values the band spans each side."""

_SHARES = frozenset(
    {
        names.PRECISION,
        names.RECALL,
        names.F1,
        names.ROC_AUC,
        names.PR_AUC,
        names.ACCURACY,
        names.MACRO_F1,
        names.WEIGHTED_F1,
    }
)
_ERRORS = frozenset({names.MAE, names.RMSE, names.MAPE})


@dataclass(frozen=True)
class Band:
    """The range of a metric's values the reference's chunks make expected."""

    lower: float
    upper: float


def band_of(values: Sequence[float | None], metric: str) -> Band | None:
    """Mean ± :data:`BAND_DEVIATIONS` sample standard deviations of the reference chunks'
    values (the missing ones left out), clipped to the metric's range; None with fewer than
    two values."""
    known = np.array([value for value in values if value is not None], dtype=np.float64)
    if known.size < 2:
        return None
    centre, spread = float(known.mean()), BAND_DEVIATIONS * float(known.std(ddof=1))
    lower, upper = centre - spread, centre + spread
    if metric in _SHARES or metric in _ERRORS:
        lower = max(lower, 0.0)
    if metric in _SHARES or metric == names.R2:
        upper = min(upper, 1.0)
    return Band(lower, upper)


def band_verdict(value: float | None, band: Band | None) -> RowVerdict:
    """``alert`` outside the band, ``ok`` inside; ``no_data`` without a value, ``unjudged``
    without a band."""
    if value is None or math.isnan(value):
        return "no_data"
    if band is None:
        return "unjudged"
    return "alert" if value < band.lower or value > band.upper else "ok"


def reference_bands(
    task: ModelTask, frames: Sequence[pl.DataFrame], classes: Sequence[str]
) -> dict[str, Band | None]:
    """The band of each realized metric from the reference's chunks (their ``label``s known)."""
    values = [realized_task_metrics(task, frame, classes) for frame in frames]
    return {
        metric: band_of([metric_value(chunk[metric]) for chunk in values], metric)
        for metric in names.realized_metrics(task)
    }


def metric_rows(
    chunk: Chunk,
    values: Mapping[str, TaskMetric],
    bands: Mapping[str, Band | None],
    prefix: str = "",
) -> list[ResultRow]:
    """One row per metric of a chunk (method: ``prefix`` + the metric), judged by its band."""
    rows = []
    for metric, result in values.items():
        value = metric_value(result)
        value = None if value is None or math.isnan(value) else value
        interval = result.interval if isinstance(result, MetricValue) else None
        band = bands.get(metric)
        rows.append(
            ResultRow(
                chunk.index, chunk.start, chunk.end, chunk.rows, None, f"{prefix}{metric}", value,
                confidence_low=None if interval is None else interval.low,
                confidence_high=None if interval is None else interval.high,
                lower_threshold=None if band is None else band.lower,
                threshold=None if band is None else band.upper,
                verdict=band_verdict(value, band),
            )
        )  # fmt: skip
    return rows


def realized_rows(
    task: ModelTask,
    chunks: Sequence[Chunk],
    frames: Sequence[pl.DataFrame],
    classes: Sequence[str],
    bands: Mapping[str, Band | None],
) -> list[ResultRow]:
    """Each chunk's realized metrics on its rows with a known ``label``."""
    rows = []
    for chunk, frame in zip(chunks, frames, strict=True):
        rows += metric_rows(chunk, realized_task_metrics(task, frame, classes), bands)
    return rows


__all__ = [
    "BAND_DEVIATIONS",
    "Band",
    "band_of",
    "band_verdict",
    "metric_rows",
    "realized_rows",
    "reference_bands",
]
