"""Reading raw events from Parquet or CSV files for the feature engines, and writing features.

Parquet columns keep their types. CSV columns named by the spec are read as text and parsed
strictly by the validation at the edge (a bad value is a rejected row, not a guess).

>>> import tempfile, pathlib
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "amount": {"type": "float"}},
...                    transforms=[{"name": "h", "op": "hour_of_day", "input": "ts"}])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
>>> _ = path.write_text("event_id,ts,amount\\ne1,2026-01-01T10:00:00Z,12.5\\n")
>>> read_events(path, spec).dtypes
[String, String, String]
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from watchkeeper.errors import FeatureError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from watchkeeper.features.spec import FeatureSpec

SUFFIXES = (".parquet", ".csv")


def read_events(path: Path, spec: FeatureSpec) -> pl.DataFrame:
    """Read a Parquet or CSV file of raw events; a bad file raises a one-line FeatureError."""
    suffix = _input_suffix(path)
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        text_columns = {name: pl.String() for name in (spec.event_id, *spec.inputs)}
        return pl.read_csv(path, schema_overrides=text_columns, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise FeatureError(f"{path}: cannot read the file: {_first_line(error)}") from None


def read_events_on_spark(session: SparkSession, path: Path, arrival: str) -> DataFrame:
    """:func:`read_events` on Spark: the executors read the file, nothing passes the driver.

    A Parquet file keeps its types; a CSV file is read as text, every column (the spec's
    columns are text in :func:`read_events` too; the validation at the edge parses them). The
    file's row order, which breaks ties of equal timestamps, is the long column ``arrival``:
    ``monotonically_increasing_id`` increases along the file, because Spark cuts one file into
    splits by offset and numbers its partitions in that order (equal-sized splits keep their
    order when Spark sorts them by size; the shorter last split is last either way).
    """
    from pyspark.sql import functions as sf

    suffix = _input_suffix(path)
    reader = session.read.format(suffix.removeprefix("."))
    if suffix == ".csv":
        reader = reader.options(header="true", inferSchema="false", mode="FAILFAST")
    try:
        return reader.load(str(path)).withColumn(arrival, sf.monotonically_increasing_id())
    except Exception as error:  # Py4J wraps the reader's errors; a bad file is the user's
        raise FeatureError(f"{path}: cannot read the file: {_first_line(error)}") from None


def _input_suffix(path: Path) -> str:
    """The suffix of an input file that exists and names a format we read."""
    if not path.exists():
        raise FeatureError(f"{path}: no such file")
    check_output_suffix(path)
    return path.suffix.lower()


def _first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def check_output_suffix(path: Path) -> None:
    """Refuse a path whose suffix names no format we read or write (before any work is done).

    >>> check_output_suffix(Path("features.csv"))
    >>> check_output_suffix(Path("features.json"))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.FeatureError: features.json: unknown file type .json; use .parquet or .csv
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FeatureError(f"{path}: unknown file type {suffix or '(none)'}; use .parquet or .csv")


def write_features(frame: pl.DataFrame, path: Path) -> None:
    """Write a feature frame in the format its suffix names: Parquet or CSV.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "features.csv"
    >>> write_features(pl.DataFrame({"event_id": ["e1"], "amount_log": [1.5]}), path)
    >>> path.read_text()
    'event_id,amount_log\\ne1,1.5\\n'
    """
    check_output_suffix(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            frame.write_csv(path)
        else:
            frame.write_parquet(path)
    except OSError as error:
        raise FeatureError(f"{path}: cannot write: {error.strerror}") from None
    except pl.exceptions.PolarsError as error:
        raise FeatureError(f"{path}: cannot write: {_first_line(error)}") from None


__all__ = [
    "SUFFIXES",
    "check_output_suffix",
    "read_events",
    "read_events_on_spark",
    "write_features",
]
