"""Estimated performance per chunk, before targets: CBPE or direct loss estimation.

The estimator is fitted on the reference (its targets known) by
:func:`~watchkeeper.monitoring.job.external_reference.fit_estimator` and applied to each chunk by
:func:`~watchkeeper.monitoring.outcomes.task_performance.estimated_task_metrics`: the monitor jobs'
code, not a second implementation. Binary and multiclass: confidence-based performance
estimation (calibrated probabilities give an expected confusion matrix); regression: direct
loss estimation (models of the absolute and squared error, with intervals). Each estimate
(method ``estimated_<metric>``) is judged by the reference's band of the realized metric
(:mod:`~watchkeeper.analysis.performance_chunks`).

>>> import numpy as np, polars as pl
>>> rng = np.random.default_rng(0)
>>> scores = rng.uniform(size=2_000)
>>> reference = pl.DataFrame({"score": scores, "decision": scores > 0.5,
...                           "label": (rng.uniform(size=2_000) < scores).astype(np.int8)})
>>> estimator = fit_reference_estimator("binary", reference, ())
>>> values = estimated_task_metrics("binary", reference, estimator)
>>> round(values["f1"], 2)
0.75
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.analysis.performance_chunks import Band, metric_rows
from watchkeeper.analysis.results import ResultRow
from watchkeeper.config import LabelConfig, ModelTask
from watchkeeper.monitoring.comparison.chunks import Chunk
from watchkeeper.monitoring.job.external_reference import ExternalEstimator, fit_estimator
from watchkeeper.monitoring.outcomes.task_performance import estimated_task_metrics


def fit_reference_estimator(
    task: ModelTask,
    reference: pl.DataFrame,
    classes: Sequence[str],
    numeric_inputs: Sequence[str] = (),
) -> ExternalEstimator:
    """The task's estimator fitted on the reference's rows with a known ``label``."""
    label = LabelConfig(classes=list(classes) if task == "multiclass" else None)
    return fit_estimator(task, reference, label, list(numeric_inputs))


def estimated_rows(
    task: ModelTask,
    chunks: Sequence[Chunk],
    frames: Sequence[pl.DataFrame],
    estimator: ExternalEstimator,
    bands: Mapping[str, Band | None],
    numeric_inputs: Sequence[str] = (),
) -> list[ResultRow]:
    """Each chunk's estimated metrics (methods ``estimated_<metric>``)."""
    rows = []
    for chunk, frame in zip(chunks, frames, strict=True):
        values = estimated_task_metrics(task, frame, estimator, numeric_inputs)
        rows += metric_rows(chunk, values, bands, names.ESTIMATED_PREFIX)
    return rows


__all__ = ["estimated_rows", "fit_reference_estimator"]
