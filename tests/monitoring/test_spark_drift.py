"""``drift`` with the current file compared by Spark gives the Polars report.

The current file holds fewer values than a KLL sketch keeps, so even the sketches agree; every
count and exact statistic must be equal, floats within 1e-9 relative. One ``local[2]`` session
for the module (the ``spark`` fixture); ``compare_files`` joins it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.config import SparkConfig
from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.comparison.chunks import Chunking
from watchkeeper.monitoring.comparison.file_comparison import ComparisonOptions, compare_files

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

SPARK = SparkConfig(master="local[2]")


def assert_close(actual: Any, expected: Any, where: str = "report") -> None:
    """Equal nested values; floats within 1e-9 relative."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), where
        for key, value in expected.items():
            assert_close(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list | tuple):
        assert len(actual) == len(expected), where
        for number, (mine, theirs) in enumerate(zip(actual, expected, strict=True)):
            assert_close(mine, theirs, f"{where}[{number}]")
    elif isinstance(expected, float) and isinstance(actual, float):
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), where
    else:
        assert actual == expected, where


def write(folder: Path, name: str, rows: int, seed: int, shift: float) -> Path:
    rng = np.random.default_rng(seed)
    amount = rng.normal(50 + shift * 10, 10 * (1 + shift), rows)
    amount[rng.random(rows) < 0.03] = np.nan
    path = folder / f"{name}.parquet"
    table = pa.table(
        {
            "amount": amount,
            "hour": rng.integers(0, 24, rows).astype(np.float64) + shift,
            "country": rng.choice(["DE", "FR", "IT", "ES", "XX"][: 4 + (shift > 0)], rows),
            "items": rng.integers(0, 5, rows),
        }
    )
    pq.write_table(table, path, row_group_size=max(1, rows // 3))
    return path


def test_spark_compares_the_current_file_as_polars_does(
    spark: SparkSession, tmp_path: Path
) -> None:
    reference = write(tmp_path, "reference", 1_500, seed=1, shift=0.0)
    current = write(tmp_path, "current", 350, seed=2, shift=0.4)
    expected = compare_files(reference, current).to_dict()
    actual = compare_files(reference, current, ComparisonOptions(spark=SPARK)).to_dict()
    assert_close(actual, expected)
    assert any(item["verdict"] != "ok" for item in expected["features"])  # a drift to find


def test_chunks_are_refused_on_spark(tmp_path: Path) -> None:
    options = ComparisonOptions(spark=SPARK, chunking=Chunking(size=10))
    with pytest.raises(DatasetError, match="--engine spark compares the whole current file"):
        compare_files(tmp_path / "a.parquet", tmp_path / "b.parquet", options)
