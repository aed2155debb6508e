"""Raw input validation of rows held by Spark: the Polars engine's rules, on the executors.

:func:`validate_spark_rows` applies :func:`~watchkeeper.features.frame_validation.validate_frame`
to each Arrow batch of a Spark frame (``mapInArrow``): the rules are row-local, so a row is
valid or rejected, for the same reason, whichever batch it falls in. The valid rows come back
in the canonical types (the event id, every declared input) with the frame's ``arrival``
column; the rejected rows as given, with ``rejected_field`` and ``rejection_reason``. A
problem of the whole frame (a required input column missing, a column of the wrong type) is
raised on the driver, before any job, by validating an empty frame of the same schema.

Unlike the Polars engine's, the rejected rows carry no ``row`` position: their ``arrival``
value orders them.

>>> rejected_schema_names(["event_id", "amount"])
['rejected_field', 'rejection_reason', 'event_id', 'amount']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from watchkeeper.compute.delta_files import spark_schema
from watchkeeper.compute.spark_session import PANDAS_NOTICE, arrow_schema
from watchkeeper.features.frame_validation import ROW_COLUMN, ValidatedFrame, validate_frame

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from watchkeeper.features.spec import FeatureSpec

FIELD = "rejected_field"
REASON = "rejection_reason"


@dataclass(frozen=True)
class SparkValidated:
    """The valid rows (canonical types, with ``arrival``) and the rejected ones, in Spark."""

    valid: DataFrame
    rejected: DataFrame


def rejected_schema_names(columns: list[str]) -> list[str]:
    """The columns of the rejected rows: the field, the reason, then the rows' own."""
    return [FIELD, REASON, *columns]


def validate_spark_rows(spec: FeatureSpec, rows: DataFrame, arrival: str) -> SparkValidated:
    """Split ``rows`` into valid and rejected rows by ``spec``'s inputs (see the module).

    Raises :class:`~watchkeeper.errors.SchemaError` on the driver when the frame as a whole
    cannot be validated (a required input column missing).
    """
    import pyarrow as pa
    from pyspark.sql.types import StringType, StructField, StructType

    empty = pl.from_arrow(arrow_schema(rows.schema).empty_table())
    assert isinstance(empty, pl.DataFrame)
    probe = validate_frame(spec, empty, "quarantine").valid.drop(ROW_COLUMN)
    valid_arrow = pa.schema(
        [*spark_arrow_fields(probe.to_arrow().schema), pa.field(arrival, pa.int64())]
    )
    rejected_type = StructType(
        [StructField(FIELD, StringType()), StructField(REASON, StringType()), *rows.schema.fields]
    )
    rejected_arrow = arrow_schema(rejected_type)
    spec_json = spec.model_dump_json()

    def valid(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for frame, checked in _checked(spec_json, batches):
            kept = checked.valid.with_columns(frame[arrival].gather(checked.valid[ROW_COLUMN]))
            table = kept.drop(ROW_COLUMN).to_arrow().select(valid_arrow.names)
            yield from table.cast(valid_arrow).to_batches()

    def rejected(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for _, checked in _checked(spec_json, batches):
            if checked.rejected.height:
                table = checked.rejected.drop(ROW_COLUMN).to_arrow()
                yield from table.select(rejected_arrow.names).cast(rejected_arrow).to_batches()

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", PANDAS_NOTICE, FutureWarning)  # Arrow, no pandas
        return SparkValidated(
            valid=rows.mapInArrow(valid, spark_schema(valid_arrow)),
            rejected=rows.mapInArrow(rejected, rejected_type),
        )


def spark_arrow_fields(schema: pa.Schema) -> list[pa.Field]:
    """``schema``'s fields with the types Spark's Arrow exchange takes (plain strings)."""
    import pyarrow

    plain = {pyarrow.large_string(): pyarrow.string(), pyarrow.string_view(): pyarrow.string()}
    return [field.with_type(plain.get(field.type, field.type)) for field in schema]


def _checked(
    spec_json: str, batches: Iterator[pa.RecordBatch]
) -> Iterator[tuple[pl.DataFrame, ValidatedFrame]]:
    """On an executor: each batch as a frame, and its validation (quarantine)."""
    from watchkeeper.features.spec import FeatureSpec

    spec = FeatureSpec.model_validate_json(spec_json)
    for batch in batches:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield frame, validate_frame(spec, frame, "quarantine")


__all__ = ["FIELD", "REASON", "SparkValidated", "rejected_schema_names", "validate_spark_rows"]
