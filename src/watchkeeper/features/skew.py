"""The skew check: recompute served features with the batch engine and compare.

Each logged prediction carries the raw input it was scored on (``raw_input``, JSON) and the
features that were actually served (``features``, JSON). The batch engine recomputes the
features from the raw inputs, with the fitted spec the model version was served with, and
each feature is compared (:mod:`~watchkeeper.features.comparison`): the share of rows that
disagree and the largest difference. This catches training/serving skew whatever path
produced the served features.

History. Windowed features of an event need the events before it. The recomputation reads
them with the served events: ``history`` (the event store's raw events from a longest window
before the first compared event; an event that was served counts once, as logged) and the
other served events (``compare`` says which logged rows are compared; the others, e.g. other
versions' or earlier ones, only feed the windows). Every compared row is compared: a service
that started with an empty online state while history existed shows here as skew.

Warm-up. When the service started cold (``cold_since``: its first logged prediction, its
online state not filled from the history before), the rows served within the longest window
after that start are its warm-up: they are compared like the others and also reported apart
(``warm_up_features``), so a cold start is told from skew that lasts. ``time_since_last`` has
no window: where the recomputation finds no earlier event of the key in what it read, the
served value cannot be checked and the row is not compared for it (``without_history``).

No row compared is a failure, not a pass: the check saw nothing.

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
>>> empty = check_skew(fitted, logged.clear())
>>> empty.ok, empty.problem
(False, '0 rows compared: no served prediction to check')
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
from watchkeeper.features.frame_validation import ROW_COLUMN, validate_frame
from watchkeeper.storage.events.prediction_routes import SHADOW_ROUTE, SHADOW_SUFFIX

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec

DEFAULT_THRESHOLD = 0.001
_EVENT = "__skew_event"
"""The served event a row stands for: its event id (a shadow row's without its suffix)."""


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
    history_rows: int = 0
    cold_since: datetime | None = None
    warm_up_features: tuple[ColumnComparison, ...] = ()

    @property
    def problem(self) -> str | None:
        """Why the check fails whatever the features say: it compared nothing."""
        if self.compared_rows:
            return None
        reason = "no served prediction to check" if not self.rows else "every row was rejected"
        return f"0 rows compared: {reason}"

    @property
    def ok(self) -> bool:
        """True when rows were compared and no feature's mismatch rate is above the threshold."""
        return self.problem is None and not self.skewed_features

    @property
    def skewed_features(self) -> list[str]:
        """Features whose mismatch rate is above the threshold."""
        return [feature.name for feature in self.features if feature.mismatch_rate > self.threshold]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly report."""
        return {
            "ok": self.ok,
            "problem": self.problem,
            "threshold": self.threshold,
            "rows": self.rows,
            "compared_rows": self.compared_rows,
            "history_rows": self.history_rows,
            "warm_up": self.warm_up,
            "cold_since": self.cold_since,
            "warm_up_rows": self.warm_up_rows,
            "rejected_rows": self.rejected_rows,
            "without_history": self.without_history,
            "skewed_features": self.skewed_features,
            "features": [feature.to_dict() for feature in self.features],
            "warm_up_features": [feature.to_dict() for feature in self.warm_up_features],
        }


def check_skew(
    fitted: FittedFeatureSpec,
    predictions: pl.DataFrame,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    history: pl.DataFrame | None = None,
    compare: pl.Series | None = None,
    cold_since: datetime | None = None,
) -> SkewReport:
    """Compare the served features of logged ``predictions`` with a batch recomputation.

    ``history``: raw events (the event store's) that fed the online state besides the logged
    ones; ``compare``: which logged rows to compare (default: all; the others only feed the
    windows); ``cold_since``: when the service started with an unfilled online state.
    """
    for needed in ("event_id", "ts", "raw_input", "features"):
        if needed not in predictions.columns:
            raise SchemaError(f"predictions have no column {needed!r}")
    spec = fitted.spec
    engine = BatchFeatureEngine(fitted)
    logged = predictions.with_columns(_served_event(predictions))
    selected = (
        compare if compare is not None else pl.Series([True] * logged.height, dtype=pl.Boolean)
    )
    compared = logged.filter(selected)
    warm_up = spec.longest_window
    if not compared.height:
        return SkewReport(0, 0, warm_up, 0, 0, threshold, [], {}, cold_since=cold_since)
    recomputed, rejected, history_rows = _recompute(engine, logged, history)
    kept = compared.filter(~pl.col(_EVENT).is_in(list(rejected)))
    expected = kept.select(_EVENT).join(recomputed, on=_EVENT, how="left", maintain_order="left")
    served = _decoded(kept["features"], "features")
    if cold_since is not None and warm_up > timedelta(0):
        in_warm_up = kept["ts"] < cold_since + warm_up
    else:
        in_warm_up = pl.Series([False] * kept.height, dtype=pl.Boolean)
    no_previous = {
        feature.name for feature in spec.windowed_features if feature.op == "time_since_last"
    }
    comparisons: list[ColumnComparison] = []
    warm_up_comparisons: list[ColumnComparison] = []
    without_history: dict[str, int] = {}
    identifiers = kept["event_id"]
    for column in engine.plan.columns:
        wanted = expected[column.name]
        actual = (
            served[column.name]
            if column.name in served.columns
            else pl.Series(column.name, [None] * kept.height)
        ).cast(column.dtype, strict=False)
        mask = pl.Series([True] * kept.height, dtype=pl.Boolean)
        if column.name in no_previous:
            without_history[column.name] = int(wanted.is_null().sum())
            mask = ~wanted.is_null()
        comparisons.append(
            compare_columns(
                column.name, wanted.filter(mask), actual.filter(mask), identifiers.filter(mask)
            )
        )
        if in_warm_up.any():
            early = mask & in_warm_up
            warm_up_comparisons.append(
                compare_columns(
                    column.name,
                    wanted.filter(early),
                    actual.filter(early),
                    identifiers.filter(early),
                )
            )
    return SkewReport(
        rows=compared.height,
        compared_rows=kept.height,
        warm_up=warm_up,
        warm_up_rows=int(in_warm_up.sum()),
        rejected_rows=compared.height - kept.height,
        threshold=threshold,
        features=comparisons,
        without_history=without_history,
        history_rows=history_rows,
        cold_since=cold_since,
        warm_up_features=tuple(warm_up_comparisons),
    )


def _served_event(predictions: pl.DataFrame) -> pl.Expr:
    """Each logged row's served event: a shadow row scored the same event as its twin."""
    event_id = pl.col("event_id").cast(pl.String)
    if "route" not in predictions.columns:
        return event_id.alias(_EVENT)
    shadow = (pl.col("route") == SHADOW_ROUTE) & event_id.str.ends_with(SHADOW_SUFFIX)
    return (
        pl.when(shadow)
        .then(event_id.str.slice(0, event_id.str.len_chars() - len(SHADOW_SUFFIX)))
        .otherwise(event_id)
        .alias(_EVENT)
    )


def _recompute(
    engine: BatchFeatureEngine, logged: pl.DataFrame, history: pl.DataFrame | None
) -> tuple[pl.DataFrame, set[str], int]:
    """Features of every served event (by ``_EVENT``), recomputed over the history and the
    logged events; the served events the schema rejects; the history rows used."""
    spec = engine.plan.fitted.spec
    raw = _decoded(logged["raw_input"], "raw_input").with_columns(logged[_EVENT])
    raw = raw.unique(_EVENT, keep="first", maintain_order=True)
    served, rejected = _valid(spec, raw)
    parts = [served]
    used = 0
    if history is not None and history.height:
        earlier = history.with_columns(pl.col(spec.event_id).cast(pl.String).alias(_EVENT))
        earlier = earlier.filter(~pl.col(_EVENT).is_in(raw[_EVENT].to_list()))
        valid_history, _ = _valid(spec, earlier)
        parts.insert(0, valid_history)  # before the served events: at equal times, earlier
        used = valid_history.height
    combined = pl.concat(parts, how="vertical")
    features = engine.compute(combined).features if combined.height else None
    columns = [column.name for column in engine.plan.columns]
    if features is None:
        empty = {column.name: column.dtype for column in engine.plan.columns}
        return pl.DataFrame(schema={_EVENT: pl.String, **empty}), rejected, used
    recomputed = features.select(columns).with_columns(combined[_EVENT])
    return recomputed.tail(served.height), rejected, used


def _valid(spec: Any, frame: pl.DataFrame) -> tuple[pl.DataFrame, set[str]]:
    """The valid rows (``_EVENT`` and the inputs, typed) and the events of the rejected ones."""
    columns = [_EVENT, *spec.inputs]
    if not frame.height:
        checked = validate_frame(spec, frame.head(0), "quarantine")
        return checked.valid.with_columns(pl.lit(None, pl.String).alias(_EVENT)).select(
            columns
        ), set()
    indexed = frame.with_row_index(ROW_COLUMN)
    checked = validate_frame(spec, indexed, "quarantine")
    events = indexed.select(ROW_COLUMN, _EVENT)
    valid = checked.valid.join(events, on=ROW_COLUMN, how="left", maintain_order="left")
    rejected = set(checked.rejected[_EVENT].to_list()) if checked.rejected.height else set()
    return valid.select(columns), rejected


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
        return pl.DataFrame(height=texts.len())
    return pl.from_dicts(documents, infer_schema_length=None, strict=False)


__all__ = ["DEFAULT_THRESHOLD", "SkewReport", "check_skew"]
