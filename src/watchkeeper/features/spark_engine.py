"""The batch feature engine on Apache Spark: the Polars engine's features, computed by a cluster.

Same input, same output, same values as
:class:`~watchkeeper.features.batch_engine.BatchFeatureEngine` (integers equal, floats within
1e-9 relative), for histories larger than one machine:

* rows are validated at the edge as in the Polars engine (a Polars frame), or come from an
  already validated event table (a Spark frame, e.g. from
  :func:`~watchkeeper.compute.delta_files.read_delta_table`);
* windowed features are Spark window functions over rows partitioned by the ``by`` key and
  ordered by event time and arrival (:mod:`~watchkeeper.features.spark_windows`): one shuffle
  per key, whatever the number of features and windows of that key;
* a last row-local pass (``mapInArrow``, on the executors) evaluates the Polars engine's own
  stateless expressions (transforms, encodings with the fitted vocabulary, time parts, custom
  row functions) and turns the compensated prefix totals of sums, means and standard
  deviations into values with the NumPy functions the Polars engine uses.

The result is a Polars frame: the event id and one column per feature, in arrival order.
Custom row functions must be importable on the executors (installed, or on ``PYTHONPATH``).

>>> spark_type(pl.Int64()), spark_type(pl.Datetime("us", "UTC"))
('long', 'timestamp')
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from watchkeeper.compute.spark_frames import spark_rows
from watchkeeper.compute.spark_session import PANDAS_NOTICE, collect_arrow
from watchkeeper.errors import FeatureError, InvalidInputError
from watchkeeper.features import compensated
from watchkeeper.features.batch_engine import BatchResult
from watchkeeper.features.frame_validation import InvalidRowPolicy, validate_frame
from watchkeeper.features.plan import FeaturePlan, WindowFeature
from watchkeeper.features.spark_validation import FIELD, REASON, validate_spark_rows
from watchkeeper.features.spark_windows import (
    ARRIVAL,
    SUMMED,
    TIME,
    add_group_features,
    summed_helpers,
)
from watchkeeper.features.window_aggregates import std_from_totals

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.features.fitted import FittedFeatureSpec


class SparkFeatureEngine:
    """Computes a fitted spec's features over whole frames with a Spark session.

    ``engine.compute(frame)`` takes a Polars frame (validated here, like the Polars engine);
    ``engine.compute_table(rows, arrival)`` takes a Spark frame of valid rows whose long
    column ``arrival`` breaks ties of equal timestamps.
    """

    def __init__(self, fitted: FittedFeatureSpec, session: SparkSession) -> None:
        self.plan = FeaturePlan.build(fitted)
        self.session = session

    def compute(self, frame: pl.DataFrame, policy: InvalidRowPolicy = "fail") -> BatchResult:
        """Validate ``frame`` and compute every feature of every valid row on Spark."""
        validated = validate_frame(self.plan.fitted.spec, frame, policy)
        with spark_rows(self.session, validated.valid, ARRIVAL) as rows:
            features = self.compute_table(rows, ARRIVAL)
        return BatchResult(features=features, rejected=validated.rejected)

    def compute_rows(
        self, rows: DataFrame, arrival: str, policy: InvalidRowPolicy = "fail"
    ) -> BatchResult:
        """:meth:`compute` of rows Spark holds (an event table read by
        :func:`~watchkeeper.compute.spark_events.spark_event_rows`), validated on the executors
        (:mod:`~watchkeeper.features.spark_validation`); ``arrival`` orders them. Only the
        features and the rejected rows come to the driver."""
        valid, rejected = self.checked_rows(rows, arrival, policy)
        return BatchResult(features=self.compute_table(valid, arrival), rejected=rejected)

    def checked_rows(
        self, rows: DataFrame, arrival: str, policy: InvalidRowPolicy = "fail"
    ) -> tuple[DataFrame, pl.DataFrame]:
        """The valid rows (still on Spark) and the rejected ones (on the driver, in arrival
        order, with the field and reason); ``fail`` raises on the first rejected row."""
        checked = validate_spark_rows(self.plan.fitted.spec, rows, arrival)
        collected = pl.from_arrow(collect_arrow(checked.rejected))
        assert isinstance(collected, pl.DataFrame)
        rejected = collected.sort(arrival).drop(arrival)
        if policy == "fail" and rejected.height:
            first = rejected.row(0, named=True)
            event_id = self.plan.fitted.spec.event_id
            where = f"event {first[event_id]}; " if event_id in rejected.columns else ""
            raise InvalidInputError(
                first[FIELD],
                f"{first[REASON]} ({where}{rejected.height} row(s) rejected in all; "
                "quarantine them with the 'quarantine' policy)",
            )
        return checked.valid, rejected

    def compute_table(self, rows: DataFrame, arrival: str) -> pl.DataFrame:
        """Features of valid rows held by Spark, sorted by ``arrival``, on the driver."""
        try:
            collected = pl.from_arrow(collect_arrow(self.feature_rows(rows, arrival)))
        except Exception as error:  # Py4J wraps Spark's errors; one is the user's to fix
            if "spark.driver.maxResultSize" not in str(error):
                raise
            raise FeatureError(
                "the features are larger than spark.driver.maxResultSize: raise it in "
                'compute.spark.conf (e.g. spark.driver.maxResultSize: "8g", or "0": no limit), '
                "or write them from the executors (an --out folder)"
            ) from None
        assert isinstance(collected, pl.DataFrame)
        return collected.sort(ARRIVAL).drop(ARRIVAL)

    def feature_rows(self, rows: DataFrame, arrival: str) -> DataFrame:
        """Features of valid rows held by Spark, as a Spark frame (unordered, nothing
        collected): the event id, one column per feature, and the long column
        :data:`~watchkeeper.features.spark_windows.ARRIVAL` (``arrival``'s order)."""
        from pyspark.sql import functions as sf

        spec = self.plan.fitted.spec
        missing = [name for name in (spec.timestamp, arrival) if name not in rows.columns]
        if missing:
            raise FeatureError(f"Spark rows: no column {missing[0]!r}")
        work = rows.withColumns(
            {TIME: sf.unix_micros(sf.col(spec.timestamp)), ARRIVAL: sf.col(arrival).cast("long")}
        )
        for number, group in enumerate(self.plan.groups):
            work = add_group_features(work, number, group)
        identity = [spec.event_id] if spec.event_id in rows.columns else []
        types = {name: rows.schema[name].dataType.simpleString() for name in identity}
        types |= {column.name: spark_type(column.dtype) for column in self.plan.columns}
        types[ARRIVAL] = "bigint"
        schema = ", ".join(f"`{name}` {kind}" for name, kind in types.items())
        spec_json = self.plan.fitted.model_dump_json()

        def finish(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            return _finish_batches(spec_json, identity, batches)

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", PANDAS_NOTICE, FutureWarning)  # Arrow, no pandas
            return work.mapInArrow(finish, schema)


def spark_type(dtype: pl.DataType) -> str:
    """The Spark SQL type of a feature column's Polars type."""
    if dtype.is_integer():
        return "long"
    if dtype.is_float():
        return "double"
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
        return "string"
    raise FeatureError(f"type {dtype} has no Spark equivalent")


def _finish_batches(
    spec_json: str, identity: list[str], batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """On an executor: each batch's stateless features and summed windows, in output order."""
    import pyarrow as pa

    from watchkeeper.features.fitted import FittedFeatureSpec

    plan = FeaturePlan.build(FittedFeatureSpec.model_validate_json(spec_json))
    expressions = [e for feature in plan.row_features for e in feature.expressions()]
    for batch in batches:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        columns = {name: frame[name] for name in frame.columns}
        if expressions:
            stateless = frame.select(expressions)
            columns |= {name: stateless[name] for name in stateless.columns}
        for number, group in enumerate(plan.groups):
            keyed = frame[group.key].is_not_null().to_numpy()
            for feature in group.features:
                if feature.operation in SUMMED:
                    columns[feature.name] = _summed(frame, number, feature, keyed)
        result = pl.DataFrame(
            [
                *[columns[name] for name in identity],
                *[columns[c.name].cast(c.dtype).alias(c.name) for c in plan.columns],
                columns[ARRIVAL],
            ]
        ).to_arrow()
        yield from result.cast(_arrow_schema(result.schema, pa)).to_batches()


def _summed(frame: pl.DataFrame, number: int, feature: WindowFeature, keyed: Any) -> pl.Series:
    """A sum, mean or std from its helper columns, as the Polars engine finishes it."""
    roles = summed_helpers(number, feature)
    read = {role: frame[name].fill_null(0).to_numpy() for role, name in roles.items()}
    counts = read["count"].astype(np.int64)
    ends, starts = (read["total"], read["error"]), (read["total_start"], read["error_start"])
    if feature.operation == "sum":
        values, present = compensated.window_total(*ends, *starts), np.ones(counts.size, bool)
    elif feature.operation == "mean":
        present = counts > 0
        total = compensated.window_total(*ends, *starts)
        values = total / np.where(present, counts, 1).astype(np.float64)
    else:
        sum_high, sum_low = compensated.window_pair(*ends, *starts)
        squares_high, squares_low = compensated.window_pair(
            read["squares"],
            read["squares_error"],
            read["squares_start"],
            read["squares_error_start"],
        )
        values, present = std_from_totals(sum_high, sum_low, squares_high, squares_low, counts)
    column = (
        pl.DataFrame({"value": values, "present": present & keyed})
        .select(pl.when(pl.col("present")).then(pl.col("value")).alias(feature.name))
        .to_series()
    )
    return column if feature.fill is None else column.fill_null(feature.fill)


def _arrow_schema(schema: pa.Schema, pa: Any) -> pa.Schema:
    """The schema Spark expects back: plain (not large) strings."""
    return pa.schema(
        [
            field.with_type(pa.string()) if pa.types.is_large_string(field.type) else field
            for field in schema
        ]
    )


__all__ = ["SparkFeatureEngine", "spark_type"]
