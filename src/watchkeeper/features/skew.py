"""The skew check: recompute served features with the batch engine and compare.

Each logged prediction carries the raw input it was scored on (``raw_input``, JSON) and the
features that were actually served (``features``, JSON). The batch engine recomputes the
features from the raw inputs, with the fitted spec the model version was served with, and
each feature is compared (:mod:`~watchkeeper.features.comparison`): the share of rows that
disagree and the largest difference. This catches training/serving skew whatever path
produced the served features.

History. Windowed features of an event need the events before it. The recomputation runs
over the whole logged range, and the first ``longest window`` of the range is a warm-up: its
events feed the windows but are not compared, since the events before the range are not
read. ``time_since_last`` has no window: where the recomputation finds no earlier event of
the key in the range, the served value cannot be checked and the row is not compared for it.
The report says how many rows were left out, and why.

>>> import json, polars as pl
>>> from datetime import datetime, UTC
>>> from watchkeeper.features.fitted import FittedFeatureSpec
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "amount": {"type": "float"}},
...     transforms=[{"name": "log_amount", "op": "log1p", "input": "amount"}])
>>> fitted = FittedFeatureSpec(spec=spec, training_rows=0)
>>> logged = pl.DataFrame({"event_id": ["a", "b"],
...     "ts": [datetime(2026, 1, 1, tzinfo=UTC)] * 2,
...     "raw_input": [json.dumps({"ts": "2026-01-01T00:00:00Z", "amount": 1.0})] * 2,
...     "features": [json.dumps({"log_amount": 0.6931471805599453}), json.dumps({"log_amount": 1.0})]})
>>> report = check_skew(fitted, logged, threshold=0.001)
>>> report.features[0].mismatches, report.ok
(1, False)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.errors import SchemaError
from watchkeeper.features.batch_engine import BatchFeatureEngine
from watchkeeper.features.comparison import ColumnComparison, compare_columns

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec

DEFAULT_THRESHOLD = 0.001


@dataclass(frozen=True)
class SkewReport:
    """Per feature, how served values compare with the batch engine's recomputation."""

    rows: int
    compared_rows: int
    warm_up: timedelta
    warm_up_rows: int
    rejected_rows: int
    threshold: float
    features: list[ColumnComparison]
    without_history: dict[str, int]

    @property
    def ok(self) -> bool:
        """True when no feature's mismatch rate is above the threshold."""
        return all(feature.mismatch_rate <= self.threshold for feature in self.features)

    @property
    def skewed_features(self) -> list[str]:
        """Features whose mismatch rate is above the threshold."""
        return [feature.name for feature in self.features if feature.mismatch_rate > self.threshold]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly report."""
        return {
            "ok": self.ok,
            "threshold": self.threshold,
            "rows": self.rows,
            "compared_rows": self.compared_rows,
            "warm_up": self.warm_up,
            "warm_up_rows": self.warm_up_rows,
            "rejected_rows": self.rejected_rows,
            "without_history": self.without_history,
            "skewed_features": self.skewed_features,
            "features": [feature.to_dict() for feature in self.features],
        }


def check_skew(
    fitted: FittedFeatureSpec, predictions: pl.DataFrame, threshold: float = DEFAULT_THRESHOLD
) -> SkewReport:
    """Compare the served features of logged ``predictions`` with a batch recomputation."""
    for needed in ("event_id", "ts", "raw_input", "features"):
        if needed not in predictions.columns:
            raise SchemaError(f"predictions have no column {needed!r}")
    spec = fitted.spec
    engine = BatchFeatureEngine(fitted)
    raw = _decoded(predictions["raw_input"], "raw_input")
    raw = raw.with_columns(predictions["event_id"].alias("__logged_event_id"))
    result = engine.compute(raw, policy="quarantine")
    recomputed = result.features
    rejected_ids = (
        set(result.rejected["__logged_event_id"].to_list()) if result.rejected.height else set()
    )
    served_rows = predictions.filter(~pl.col("event_id").is_in(list(rejected_ids)))
    served = _decoded(served_rows["features"], "features")
    valid_raw = raw.filter(~pl.col("__logged_event_id").is_in(list(rejected_ids)))
    warm_up = spec.longest_window
    times = served_rows["ts"]
    start = times.min()
    if warm_up > timedelta(0) and isinstance(start, datetime):
        in_scope = times >= start + warm_up
    else:
        in_scope = pl.Series([True] * times.len(), dtype=pl.Boolean)
    comparisons: list[ColumnComparison] = []
    without_history: dict[str, int] = {}
    no_previous = {
        feature.name for feature in spec.windowed_features if feature.op == "time_since_last"
    }
    identifiers = valid_raw["__logged_event_id"]
    for column in engine.plan.columns:
        expected = recomputed[column.name]
        actual = (
            served[column.name]
            if column.name in served.columns
            else pl.Series(column.name, [None] * served.height)
        )
        mask = in_scope
        if column.name in no_previous:
            lacking = expected.is_null() & in_scope
            without_history[column.name] = int(lacking.sum())
            mask = in_scope & ~expected.is_null()
        comparisons.append(
            compare_columns(
                column.name,
                expected.filter(mask),
                actual.cast(column.dtype, strict=False).filter(mask),
                identifiers.filter(mask),
            )
        )
    return SkewReport(
        rows=predictions.height,
        compared_rows=int(in_scope.sum()),
        warm_up=warm_up,
        warm_up_rows=int((~in_scope).sum()),
        rejected_rows=len(rejected_ids),
        threshold=threshold,
        features=comparisons,
        without_history=without_history,
    )


def _decoded(texts: pl.Series, column: str) -> pl.DataFrame:
    """A JSON-object column as a frame, values kept as JSON gave them."""
    try:
        documents = [json.loads(text) if text is not None else {} for text in texts.to_list()]
    except ValueError as error:
        raise SchemaError(
            f"predictions column {column!r} holds text that is not JSON: {error}"
        ) from None
    if any(not isinstance(document, dict) for document in documents):
        raise SchemaError(f"predictions column {column!r} must hold JSON objects")
    if not documents:
        return pl.DataFrame()
    return pl.from_dicts(documents, infer_schema_length=None, strict=False)


__all__ = ["DEFAULT_THRESHOLD", "SkewReport", "check_skew"]
