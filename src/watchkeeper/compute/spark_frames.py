"""Handing a Polars frame to Spark: as Parquet, with its row order as an arrival column.

Spark's rows have no order of their own, and the batch engines' results depend on it (ties
of equal timestamps, the latest of two outcomes received at the same instant). So a frame
goes over with its row position in a long column, written once as Parquet to a temporary
folder that lives as long as the Spark frame is used.

>>> import polars as pl
>>> numbered(pl.DataFrame({"x": ["a", "b"]}), "arrival").rows()
[('a', 0), ('b', 1)]
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def numbered(frame: pl.DataFrame, arrival: str) -> pl.DataFrame:
    """``frame`` with its row position (Int64, from 0) as the last column ``arrival``."""
    return frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias(arrival))


@contextmanager
def spark_rows(session: SparkSession, frame: pl.DataFrame, arrival: str) -> Iterator[DataFrame]:
    """``frame`` as a Spark frame whose column ``arrival`` is its row position; the files
    handed over are removed on exit, so use the Spark frame inside the ``with`` only."""
    folder = Path(tempfile.mkdtemp(prefix="watchkeeper-spark-"))
    try:
        path = folder / "rows.parquet"
        numbered(frame, arrival).write_parquet(path)
        yield session.read.parquet(str(path))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


__all__ = ["numbered", "spark_rows"]
