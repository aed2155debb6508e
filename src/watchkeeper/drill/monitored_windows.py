"""What monitoring would see of a (drilled) copy of traffic, computed in memory.

The same steps as the monitor job, on raw inputs instead of logged predictions: the schema
check at the edge (rejected events counted by reason, per window), the champion's fitted
feature spec through the batch engine (the warm-up history feeds the windowed features),
the champion's scores and decisions, one profile per window on the reference profile's plan,
and the rows of :func:`~watchkeeper.monitoring.job.window_metrics.profile_rows` and
:func:`~watchkeeper.monitoring.job.window_metrics.estimated_rows`. Nothing is stored: profiles
and rows stay in memory.

>>> rejection_code("required but missing"), rejection_code("below the minimum 0 (got -3.0)")
('missing_field', 'out_of_range')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import WorkspaceConfig
from watchkeeper.features.batch_engine import compute_batch
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.features.frame_validation import ROW_COLUMN
from watchkeeper.modeling.model import Model
from watchkeeper.monitoring.job.judgement import (
    model_cycles,
    pool_reach,
    pooled_judgement,
    reference_needs,
)
from watchkeeper.monitoring.job.served_predictions import AMOUNT_FIELD, SCORE_COLUMN, polars_dtype
from watchkeeper.monitoring.job.version_context import VersionContext
from watchkeeper.monitoring.job.window_metrics import WindowKey, estimated_rows, profile_rows
from watchkeeper.monitoring.job.windows import Window
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.profile_builder import ProfileBuilder
from watchkeeper.monitoring.statistics.quality import schema_ranges
from watchkeeper.storage.metadata.records import MetricRow

_REASON_PREFIXES = (
    ("required but missing", "missing_field"),
    ("not a finite number", "not_finite"),
    ("below the minimum", "out_of_range"),
    ("above the maximum", "out_of_range"),
    ("not among the allowed values", "out_of_range"),
)


def rejection_code(reason: str) -> str:
    """The short reason code (as in the ``rejections`` table) of a schema check's rejection
    text: ``bad_timestamp`` for a time that does not parse, ``wrong_type`` for other values."""
    for prefix, code in _REASON_PREFIXES:
        if reason.startswith(prefix):
            return code
    return "bad_timestamp" if "timestamp" in reason else "wrong_type"


@dataclass(frozen=True)
class Champion:
    """The champion's bundle as the drill needs it: fitted spec, model, monitoring context."""

    version: int
    fitted: FittedFeatureSpec
    model: Model
    feature_names: tuple[str, ...]
    context: VersionContext


@dataclass(frozen=True)
class MonitoredWindows:
    """The metric rows of every drilled window, and the drilled events' fate."""

    rows: tuple[MetricRow, ...]
    events: int
    rejected: int
    scored: int
    flagged: int


def score_drilled(
    frame: pl.DataFrame, drilled: npt.NDArray[np.bool_], champion: Champion
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The drilled events through the edge check, the champion's features, score and decision.

    Returns the scored events (features, ``score``, ``decision``, ``_amount``, ``_ts``) and
    the rejected ones (``_code``: the reason code, ``_ts``); the warm-up rows before the
    drilled windows only feed the windowed features.
    """
    spec = champion.fitted.spec
    computed = compute_batch(champion.fitted, frame.with_row_index(ROW_COLUMN), "quarantine")
    refused_rows = computed.rejected[ROW_COLUMN].to_numpy()
    valid = np.ones(frame.height, dtype=bool)
    valid[refused_rows] = False
    times = frame[spec.timestamp]
    features = computed.features.with_columns(times.filter(pl.Series(valid)).alias("_ts"))
    features = features.filter(pl.Series(drilled[valid]))
    scores = champion.model.predict_scores(features.select(champion.feature_names))
    amounts = (
        frame.filter(pl.Series(valid & drilled))[AMOUNT_FIELD].cast(pl.Float64, strict=False)
        if AMOUNT_FIELD in frame.columns
        else pl.Series([None] * features.height, dtype=pl.Float64)
    )
    scored = features.with_columns(
        pl.Series(SCORE_COLUMN, np.asarray(scores, dtype=np.float64)),
        amounts.alias("_amount"),
    ).with_columns(decision=pl.col(SCORE_COLUMN) >= champion.context.threshold)
    refused = computed.rejected.filter(pl.Series(drilled[refused_rows]))
    refused = refused.select(
        pl.col("rejection_reason")
        .map_elements(rejection_code, return_dtype=pl.String)
        .alias("_code"),
        times.gather(refused[ROW_COLUMN]).alias("_ts"),
    )
    return scored, refused


def monitor_windows(
    frame: pl.DataFrame,
    drilled: npt.NDArray[np.bool_],
    windows: tuple[Window, ...],
    champion: Champion,
    config: WorkspaceConfig,
    logged_rejections: Mapping[Window, Mapping[str, int]] | None = None,
) -> MonitoredWindows:
    """Recompute the rows monitoring would write for ``windows`` of ``frame`` (raw inputs).

    ``logged_rejections`` are the events the service already refused in each window (they
    never reached the prediction log), counted with the copy's own rejections by reason.
    """
    scored, rejected = score_drilled(frame, drilled, champion)
    context = champion.context
    model = config.model.name
    monitoring = config.monitoring
    ranges = schema_ranges(config.features.inputs)
    profiled = [
        pl.col(name).cast(polars_dtype(context.feature_types[name]))
        if name in context.feature_types
        else pl.col(name)
        for name in context.profiled_columns
    ]
    # judged as the monitor judges the champion (past its warm-up): on pools of the drilled
    # windows ending with each one, cyclic features and the score on whole weeks
    read = [name for name in context.reference.features if name != SCORE_COLUMN]
    cycles = model_cycles(config.features.transforms, monitoring, (SCORE_COLUMN,), read)
    needed = reference_needs(context.reference, monitoring)
    reach = pool_reach(cycles, monitoring)
    recent: list[DatasetProfile | None] = []
    rows: list[MetricRow] = []
    for window in windows:
        inside = scored.filter((pl.col("_ts") >= window.start) & (pl.col("_ts") < window.end))
        refused = rejected.filter((pl.col("_ts") >= window.start) & (pl.col("_ts") < window.end))
        if inside.height == 0 and refused.height == 0:
            recent.insert(0, None)
            continue
        builder = ProfileBuilder(context.reference.plan(), monitoring.sketch_k, threads=1)
        profile = builder.update(inside.select(profiled)).profile(window.start, window.end)
        recent = [profile, *recent][:reach]
        key = WindowKey(model, champion.version, window.start, window.end)
        counts = dict((logged_rejections or {}).get(window, {}))
        for code, count in refused["_code"].value_counts().iter_rows():
            counts[str(code)] = counts.get(str(code), 0) + int(count)
        rows += profile_rows(
            key, context.reference, profile, monitoring,
            threshold=context.threshold, flags=int(inside["decision"].sum()),
            ranges=ranges, rejected=counts,
            judgement=pooled_judgement(recent, len(recent), cycles, monitoring.window, needed),
        )  # fmt: skip
        if context.calibrator is not None and inside.height:
            decisions = inside.select(SCORE_COLUMN, "decision", pl.col("_amount").alias("amount"))
            rows += estimated_rows(key, decisions, context.calibrator, monitoring.business)
    return MonitoredWindows(
        rows=tuple(rows),
        events=int(drilled.sum()),
        rejected=rejected.height,
        scored=scored.height,
        flagged=int(scored["decision"].sum()),
    )


__all__ = ["Champion", "MonitoredWindows", "monitor_windows", "rejection_code", "score_drilled"]
