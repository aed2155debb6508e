"""The batch feature engine: every feature of a whole history at once, point-in-time correct.

Used at training time. Rows are validated at the edge first
(:func:`~watchkeeper.features.frame_validation.validate_frame`, with the ``fail`` or
``quarantine`` policy); stateless features are Polars expressions evaluated in one
multi-threaded pass; windowed features are index-range aggregates over rows sorted by key and
time (:mod:`~watchkeeper.features.window_index`, :mod:`~watchkeeper.features.window_aggregates`),
computed for all rows with NumPy and Polars, never with a Python loop per row (custom row
functions excepted: they are Python by nature). The groups and features run in a thread pool;
NumPy and Polars release the GIL while they work.

The result holds the event id and one column per feature, named as declared, with the valid
rows in their input order; windows do not depend on that order, only on timestamps and, for
equal timestamps, on arrival (input position).

>>> import polars as pl
>>> from datetime import datetime, UTC
>>> from watchkeeper.features.fit import fit
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(
...     inputs={"ts": {"type": "timestamp"}, "card": {"type": "string"},
...             "amount": {"type": "float", "min": 0}},
...     transforms=[{"name": "n_1h", "op": "count", "by": "card", "window": "1h"},
...                 {"name": "sum_1h", "op": "sum", "input": "amount", "by": "card", "window": "1h"}])
>>> at = lambda minute: datetime(2026, 1, 1, 12, minute, tzinfo=UTC)
>>> frame = pl.DataFrame({"event_id": ["a", "b", "c", "d"], "ts": [at(30), at(0), at(30), at(0)],
...                       "card": ["x", "x", "x", "y"], "amount": [1.0, 2.0, 4.0, 8.0]})
>>> result = compute_batch(fit(spec, frame), frame)
>>> result.features.rows()
[('a', 1, 2.0), ('b', 0, 0.0), ('c', 2, 3.0), ('d', 0, 0.0)]
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from watchkeeper.features import window_aggregates as aggregates
from watchkeeper.features.frame_validation import InvalidRowPolicy, validate_frame
from watchkeeper.features.plan import FeaturePlan, WindowFeature, WindowGroup
from watchkeeper.features.window_index import GroupIndex, TimeOrder, value_codes

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec


@dataclass(frozen=True)
class BatchResult:
    """Features of the valid rows (input order) and the rows rejected by the schema."""

    features: pl.DataFrame
    rejected: pl.DataFrame


class BatchFeatureEngine:
    """Computes a fitted spec's features over whole frames."""

    def __init__(self, fitted: FittedFeatureSpec, threads: int | None = None) -> None:
        self.plan = FeaturePlan.build(fitted)
        self.threads = threads if threads is not None else pl.thread_pool_size()

    def compute(self, frame: pl.DataFrame, policy: InvalidRowPolicy = "fail") -> BatchResult:
        """Validate ``frame`` and compute every feature of every valid row."""
        spec = self.plan.fitted.spec
        validated = validate_frame(spec, frame, policy)
        valid = validated.valid
        columns: dict[str, pl.Series] = {}
        expressions = [
            expression for feature in self.plan.row_features for expression in feature.expressions()
        ]
        if expressions:
            stateless = valid.select(expressions)
            columns.update({name: stateless[name] for name in stateless.columns})
        if self.plan.groups and valid.height:
            columns.update(self._windowed(valid))
        elif self.plan.groups:
            columns.update(
                {
                    feature.name: pl.Series(feature.name, [], dtype=_dtype(feature))
                    for group in self.plan.groups
                    for feature in group.features
                }
            )
        ordered = [
            columns[column.name].cast(column.dtype).alias(column.name)
            for column in self.plan.columns
        ]
        identity = [valid[spec.event_id]] if spec.event_id in valid.columns else []
        return BatchResult(
            features=pl.DataFrame([*identity, *ordered]), rejected=validated.rejected
        )

    def _windowed(self, valid: pl.DataFrame) -> dict[str, pl.Series]:
        spec = self.plan.fitted.spec
        timestamps = valid[spec.timestamp].dt.epoch("us").to_numpy()
        time_order = TimeOrder.build(timestamps)
        results: dict[str, pl.Series] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.threads)) as pool:
            for group in self.plan.groups:
                work = _GroupWork.prepare(group, valid, timestamps, time_order, pool)
                futures = {
                    feature.name: pool.submit(work.feature, feature) for feature in group.features
                }
                results.update({name: future.result() for name, future in futures.items()})
        return results


def compute_batch(
    fitted: FittedFeatureSpec, frame: pl.DataFrame, policy: InvalidRowPolicy = "fail"
) -> BatchResult:
    """Compute the features of ``frame`` with the batch engine (see :class:`BatchFeatureEngine`)."""
    return BatchFeatureEngine(fitted).compute(frame, policy)


@dataclass(frozen=True)
class _GroupWork:
    """One group's sorted rows and shared arrays, from which each feature is computed."""

    index: GroupIndex
    height: int
    present: dict[str, Any]
    numbers: dict[str, Any]
    codes: dict[str, Any]
    starts: dict[int, Any]
    totals: dict[str, aggregates.RunningTotals]

    @classmethod
    def prepare(
        cls,
        group: WindowGroup,
        valid: pl.DataFrame,
        timestamps: Any,
        time_order: TimeOrder,
        pool: ThreadPoolExecutor,
    ) -> _GroupWork:
        index = GroupIndex.build(timestamps, value_codes(valid[group.key]), time_order)
        order = index.order
        fields = {*group.summed_fields, *group.value_fields}
        present = {name: valid[name].is_not_null().to_numpy()[order] for name in fields}
        numeric = {
            feature.input: feature.integer_input
            for feature in group.features
            if feature.input is not None
            and feature.operation in ("sum", "mean", "std", "min", "max")
        }
        numbers = {
            name: valid[name]
            .cast(pl.Int64 if integer else pl.Float64)
            .fill_null(0)
            .to_numpy()[order]
            for name, integer in numeric.items()
        }
        distinct = {
            feature.input for feature in group.features if feature.operation == "count_distinct"
        }
        code_futures = {name: pool.submit(value_codes, valid[name]) for name in distinct if name}
        start_futures = {
            window: pool.submit(index.window_starts, window) for window in group.windows
        }
        with_squares = {feature.input for feature in group.features if feature.operation == "std"}
        totals = {
            name: aggregates.RunningTotals.build(
                index, numbers[name].astype(np.float64), present[name], name in with_squares
            )
            for name in group.summed_fields
        }
        return cls(
            index=index,
            height=valid.height,
            present=present,
            numbers=numbers,
            codes={name: future.result()[order] for name, future in code_futures.items()},
            starts={window: future.result() for window, future in start_futures.items()},
            totals=totals,
        )

    def feature(self, feature: WindowFeature) -> pl.Series:
        """One feature's column, in frame order."""
        values, present = self._sorted_values(feature)
        return _scatter(self.height, self.index.order, values, present, feature)

    def _sorted_values(self, feature: WindowFeature) -> tuple[Any, Any]:
        index = self.index
        operation = feature.operation
        if operation == "time_since_last":
            return aggregates.time_since_previous(index)
        start = self.starts[feature.window]
        everywhere = np.ones(index.size, dtype=np.bool_)
        if operation == "count" and feature.input is None:
            return np.arange(index.size, dtype=np.int64) - start, everywhere
        assert feature.input is not None
        if operation == "count_distinct":
            codes = self.codes[feature.input]
            return aggregates.windowed_distinct(index, codes, feature.window), everywhere
        present = self.present[feature.input]
        if operation in ("count", "min", "max"):
            prefix = np.concatenate([[0], np.cumsum(present, dtype=np.int64)])
            counts = aggregates.count_values(prefix, start)
            if operation == "count":
                return counts, everywhere
            numbers = self.numbers[feature.input]
            largest = operation == "max"
            return aggregates.windowed_extreme(index, numbers, present, start, counts, largest)
        totals = self.totals[feature.input]
        counts = aggregates.count_values(totals.count, start)
        if operation == "sum":
            return aggregates.windowed_sum(totals, start), everywhere
        if operation == "mean":
            has_values = counts > 0
            total = aggregates.windowed_sum(totals, start)
            return total / np.where(has_values, counts, 1).astype(np.float64), has_values
        return aggregates.windowed_std(totals, start, counts)


def _scatter(size: int, order: Any, values: Any, present: Any, feature: WindowFeature) -> pl.Series:
    """Put sorted-row results back in frame order; rows without a key stay missing."""
    full = np.zeros(size, dtype=values.dtype)
    full[order] = values
    mask = np.zeros(size, dtype=np.bool_)
    mask[order] = present
    column = (
        pl.DataFrame({"value": full, "present": mask})
        .select(pl.when(pl.col("present")).then(pl.col("value")).alias(feature.name))
        .to_series()
    )
    return column if feature.fill is None else column.fill_null(feature.fill)


def _dtype(feature: WindowFeature) -> pl.DataType:
    if feature.operation in ("count", "count_distinct") or (
        feature.operation in ("min", "max") and feature.integer_input
    ):
        return pl.Int64()
    return pl.Float64()


__all__ = ["BatchFeatureEngine", "BatchResult", "compute_batch"]
