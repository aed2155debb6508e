"""Reading a file of raw events on Spark: the executors read it, nothing passes the driver.

``features compute --engine spark`` reads its input here instead of through Polars. A
Parquet file keeps its types; a CSV file is read as text, every column (the Polars reader
reads the spec's columns as text too, and the validation at the edge parses them strictly:
a bad value is a rejected row, not a guess). The file's row order, which breaks ties of
equal timestamps in the feature engines, is the long column ``arrival``:
``monotonically_increasing_id`` increases along the file, because Spark cuts one file into
splits by offset and numbers its partitions in that order (equal-sized splits keep their
order when Spark sorts them by size; the shorter last split is last either way).

>>> read_options(".CSV")
{'header': 'true', 'inferSchema': 'false', 'mode': 'FAILFAST', 'enforceSchema': 'false'}
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper.errors import FeatureError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

FORMATS = {".parquet": "parquet", ".csv": "csv"}
"""The file types read, by suffix."""


def read_options(suffix: str) -> dict[str, str]:
    """Spark's reader options for a file of this suffix (CSV: a header, every value text)."""
    if FORMATS.get(suffix.lower()) != "csv":
        return {}
    return {"header": "true", "inferSchema": "false", "mode": "FAILFAST", "enforceSchema": "false"}


def read_event_file(session: SparkSession, path: Path, arrival: str) -> DataFrame:
    """The events of a Parquet or CSV file as a Spark frame with the file's row order in the
    long column ``arrival``; a missing or unreadable file raises a one-line FeatureError."""
    from pyspark.sql import functions as sf

    if not path.exists():
        raise FeatureError(f"{path}: no such file")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise FeatureError(
            f"{path}: unknown file type {path.suffix or '(none)'}; use .parquet or .csv"
        )
    try:
        rows = session.read.format(kind).options(**read_options(path.suffix)).load(str(path))
        return rows.withColumn(arrival, sf.monotonically_increasing_id())
    except Exception as error:  # Py4J wraps the reader's errors; a bad file is the user's
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise FeatureError(f"{path}: cannot read the file: {first_line}") from None


__all__ = ["FORMATS", "read_event_file", "read_options"]
