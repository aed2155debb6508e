"""Window profiles of served predictions, computed by Spark from the prediction log's Delta files.

What ``watchkeeper monitor --engine spark`` changes: each window's drift profile (the served
features and the score, per model version) is aggregated by Spark over the ``predictions``
table, read from the files of its current Delta version
(:func:`~watchkeeper.compute.delta_files.read_delta_table`), instead of from the rows held by
the job. The rows seen are the event store's: event time in ``[start, end)``, one row per key
(the table's duplicate policy: the first arrival, by its order columns), features decoded from
the logged JSON with the version's types. The profile equals the Polars one
(:mod:`~watchkeeper.monitoring.profiles.spark_profiles`), so the metrics, stored profiles and
alerts built from it are the same.

Everything else the job computes per window (labels, performance, money) still comes from
the rows it reads; the profile is the part whose cost grows with the features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeeper.compute.delta_files import read_delta_table
from watchkeeper.monitoring.job.served_predictions import SCORE_COLUMN
from watchkeeper.monitoring.profiles.spark_profiles import spark_profile
from watchkeeper.storage.events.tables import DuplicatePolicy, event_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.monitoring.job.version_context import VersionContext
    from watchkeeper.monitoring.job.windows import Window
    from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
    from watchkeeper.workspace import Workspace

SPARK_TYPES = {
    "Float64": "double",
    "Float32": "float",
    "Int64": "long",
    "Int32": "int",
    "Int16": "short",
    "Int8": "byte",
    "UInt8": "short",
    "UInt16": "int",
    "UInt32": "long",
    "Boolean": "boolean",
}
"""Spark types of the logged features' Polars types; any other (String, Categorical, Utf8,
Enum) is a string."""


def spark_type(polars_name: str) -> str:
    """The Spark type a feature of this Polars type is decoded as.

    >>> spark_type("Float64"), spark_type("Categorical(ordering='physical')")
    ('double', 'string')
    """
    return SPARK_TYPES.get(polars_name.split("(", 1)[0].strip(), "string")


class SparkWindowProfiler:
    """Profiles a version's window of served predictions on Spark (one read of the table)."""

    def __init__(self, workspace: Workspace, session: SparkSession) -> None:
        self.definition = event_table("predictions", workspace.event_tables)
        root: str = getattr(workspace.events, "root")  # noqa: B009 - the Delta store's
        options = workspace.config.storage.storage_options
        self.table = read_delta_table(session, f"{root}/predictions", options)

    def profile(self, context: VersionContext, window: Window, sketch_k: int) -> DatasetProfile:
        """The window's profile of ``context``'s version, on its reference's plan."""
        from pyspark.sql import functions as sf

        time = self.definition.time_column
        rows = self.table.where(
            (sf.col(time) >= sf.lit(window.start))
            & (sf.col(time) < sf.lit(window.end))
            & (sf.col("model_version") == sf.lit(context.version))
        )
        decoded = _decoded(self._first_of_each_key(rows), context.feature_types)
        return spark_profile(
            decoded.select(*context.profiled_columns),
            context.reference.plan(),
            sketch_k,
            window_start=window.start,
            window_end=window.end,
        )

    def _first_of_each_key(self, rows: DataFrame) -> DataFrame:
        from pyspark.sql import Window as SparkWindow
        from pyspark.sql import functions as sf

        ordering = [sf.col(name) for name in self.definition.order_columns]
        if self.definition.duplicate_policy is DuplicatePolicy.LATEST_ARRIVAL:
            ordering = [column.desc() for column in ordering]
        keyed = SparkWindow.partitionBy(*self.definition.key_columns).orderBy(*ordering)
        ranked = rows.withColumn("__rank", sf.row_number().over(keyed))
        return ranked.where(sf.col("__rank") == 1).drop("__rank")


def _decoded(rows: DataFrame, feature_types: dict[str, str]) -> DataFrame:
    """The served features from the logged JSON, typed, and the score."""
    from pyspark.sql import functions as sf

    schema = ", ".join(f"`{name}` {spark_type(dtype)}" for name, dtype in feature_types.items())
    columns = []
    if feature_types:
        parsed = sf.from_json(sf.col("features"), schema)
        columns = [parsed.getField(name).alias(name) for name in feature_types]
    return rows.select(*columns, sf.col("score").cast("double").alias(SCORE_COLUMN))


__all__ = ["SPARK_TYPES", "SparkWindowProfiler", "spark_type"]
