"""The batch feature engine on Apache Spark: the Polars engine's features, computed by a cluster.

Same input, same output, same values as :class:`~watchkeeper.features.batch_engine.BatchFeatureEngine`
(integers equal, floats within 1e-9 relative), for histories larger than one machine:

* rows are validated at the edge as in the Polars engine (a Polars frame) or come from an
  already validated event table (a Spark frame, e.g. from
  :func:`~watchkeeper.compute.delta_files.read_delta_table`);
* stateless features (transforms, encodings with the fitted vocabulary, time parts, custom
  row functions) are row-local: each Spark partition evaluates the Polars engine's own
  expressions on its Arrow batches (``mapInArrow``), so they agree by construction;
* windowed features are Spark window functions over rows partitioned by the ``by`` key and
  ordered by event time and arrival (:mod:`~watchkeeper.features.spark_windows`): one shuffle
  per key, whatever the number of features and windows of that key.

The result is a Polars frame: the event id and one column per feature, in the input order.

>>> SparkFeatureEngine.__name__  # doctest needs no Spark; see tests/features/test_spark_engine.py
'SparkFeatureEngine'
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from watchkeeper.errors import FeatureError
from watchkeeper.features.batch_engine import BatchResult
from watchkeeper.features.frame_validation import InvalidRowPolicy, validate_frame
from watchkeeper.features.plan import FeaturePlan
from watchkeeper.features.spark_windows import ARRIVAL, TIME, add_group_features

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.features.fitted import FittedFeatureSpec

_SPARK_TYPES: dict[type[pl.DataType], str] = {
    pl.Int64: "long",
    pl.Float64: "double",
    pl.Boolean: "boolean",
    pl.String: "string",
    pl.Datetime: "timestamp",
}
"""The output types of stateless features, as Spark types (every other type is cast first)."""


class SparkFeatureEngine:
    """Computes a fitted spec's features over whole frames with a Spark session.

    ``engine.compute(frame)`` takes a Polars frame (validated here, like the Polars engine);
    ``engine.compute_table(rows, arrival)`` takes a Spark frame of valid rows whose column
    ``arrival`` breaks ties of equal timestamps.
    """

    def __init__(self, fitted: FittedFeatureSpec, session: SparkSession) -> None:
        self.plan = FeaturePlan.build(fitted)
        self.session = session

    def compute(self, frame: pl.DataFrame, policy: InvalidRowPolicy = "fail") -> BatchResult:
        """Validate ``frame`` and compute every feature of every valid row on Spark."""
        validated = validate_frame(self.plan.fitted.spec, frame, policy)
        valid = validated.valid.with_row_index(ARRIVAL).with_columns(pl.col(ARRIVAL).cast(pl.Int64))
        folder = Path(tempfile.mkdtemp(prefix="watchkeeper-spark-"))
        try:
            path = folder / "rows.parquet"
            valid.write_parquet(path)
            rows = self.session.read.parquet(str(path))
            features = self.compute_table(rows, ARRIVAL)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return BatchResult(features=features, rejected=validated.rejected)

    def compute_table(self, rows: DataFrame, arrival: str) -> pl.DataFrame:
        """Features of valid rows held by Spark, sorted by ``arrival`` (a long column)."""
        from pyspark.sql import functions as sf

        spec = self.plan.fitted.spec
        missing = [name for name in (spec.timestamp, arrival) if name not in rows.columns]
        if missing:
            raise FeatureError(f"Spark rows: no column {missing[0]!r}")
        work = rows.withColumns(
            {TIME: sf.unix_micros(sf.col(spec.timestamp)), ARRIVAL: sf.col(arrival).cast("long")}
        )
        work = self._stateless(work)
        for group in self.plan.groups:
            work = add_group_features(work, group)
        identity = [spec.event_id] if spec.event_id in rows.columns else []
        names = [column.name for column in self.plan.columns]
        selected = work.select(*[sf.col(f"`{name}`") for name in [*identity, *names, ARRIVAL]])
        collected = pl.from_arrow(_collect_arrow(selected))
        assert isinstance(collected, pl.DataFrame)
        collected = collected.sort(ARRIVAL)
        ordered = [
            collected[column.name].cast(column.dtype).alias(column.name)
            for column in self.plan.columns
        ]
        return pl.DataFrame([*[collected[name] for name in identity], *ordered])

    def _stateless(self, rows: DataFrame) -> DataFrame:
        """Add the stateless feature columns by running the Polars expressions per partition."""
        from pyspark.sql.types import StructType

        expressions = [e for feature in self.plan.row_features for e in feature.expressions()]
        if not expressions:
            return rows
        spec_json = self.plan.fitted.model_dump_json()
        empty = pl.from_arrow(_empty_arrow(rows))
        assert isinstance(empty, pl.DataFrame)
        types = _stateless_types(empty.select(expressions))
        schema = StructType.fromJson(rows.schema.jsonValue())
        for name, spark_type in types.items():
            schema = schema.add(name, spark_type)

        def evaluate(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            return _evaluate_batches(spec_json, types, batches)

        return rows.mapInArrow(evaluate, schema)


def _evaluate_batches(
    spec_json: str, types: dict[str, str], batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """On a Spark worker: the stateless features of each Arrow batch, appended to it."""
    import pyarrow as pa

    from watchkeeper.features.fitted import FittedFeatureSpec

    plan = FeaturePlan.build(FittedFeatureSpec.model_validate_json(spec_json))
    expressions = [e for feature in plan.row_features for e in feature.expressions()]
    arrow_types = {
        "long": pa.int64(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "string": pa.string(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    for batch in batches:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        values = frame.select(expressions)
        columns = [
            values[name].to_arrow().cast(arrow_types[spark_type])
            for name, spark_type in types.items()
        ]
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, *columns], names=[*batch.schema.names, *types]
        )


def _stateless_types(sample: pl.DataFrame) -> dict[str, str]:
    """Spark type names of the stateless outputs, from their Polars types."""
    types = {}
    for name, dtype in sample.schema.items():
        if dtype.is_integer():
            types[name] = "long"
        elif dtype.is_float():
            types[name] = "double"
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            types[name] = "string"
        else:
            found = _SPARK_TYPES.get(type(dtype))
            if found is None:
                raise FeatureError(f"feature {name!r}: type {dtype} has no Spark equivalent")
            types[name] = found
    return types


def _empty_arrow(rows: DataFrame) -> pa.Table:
    """An empty Arrow table with the Spark frame's schema (for the stateless output types)."""
    return _collect_arrow(rows.limit(0))


def _collect_arrow(rows: DataFrame) -> pa.Table:
    """Collect a Spark frame as one Arrow table (``toArrow`` on Spark 4, Arrow batches on 3.5)."""
    import pyarrow as pa

    to_arrow: Any = getattr(rows, "toArrow", None)
    if to_arrow is not None:
        return to_arrow()
    collect: Any = getattr(rows, "_collect_as_arrow")  # noqa: B009 - Spark 3.5, as toPandas
    batches = collect()
    if batches:
        return pa.Table.from_batches(batches)
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(rows.schema).empty_table()


__all__ = ["SparkFeatureEngine"]
