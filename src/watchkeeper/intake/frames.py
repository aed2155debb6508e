"""Frames as users hand them over: pandas, Polars or Arrow, with their own column names.

>>> import pyarrow as pa
>>> as_polars(pa.table({"id": [1]}), {"id": "event_id"}).columns
['event_id']
>>> as_polars([1, 2])
Traceback (most recent call last):
...
watchkeeper.errors.SchemaError: expected a pandas, Polars or Arrow table, got list
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import pyarrow as pa

from watchkeeper.errors import SchemaError

FrameLike = Any
"""A pandas DataFrame, a Polars DataFrame or LazyFrame, an Arrow table or record batch."""


def as_polars(frame: FrameLike, columns: Mapping[str, str] | None = None) -> pl.DataFrame:
    """``frame`` as a Polars frame, its columns renamed by ``columns`` (theirs -> ours).

    A renamed column that is not in the frame is named in a :class:`SchemaError`, as is a
    rename onto a column the frame already has.
    """
    converted = _converted(frame)
    if not columns:
        return converted
    absent = [name for name in columns if name not in converted.columns]
    if absent:
        raise SchemaError(
            f"the column mapping names {', '.join(map(repr, absent))}, not in the data "
            f"(columns: {', '.join(converted.columns)})"
        )
    clashes = [
        target
        for source, target in columns.items()
        if target in converted.columns and target not in columns and target != source
    ]
    if clashes:
        raise SchemaError(
            f"the column mapping renames onto {', '.join(map(repr, clashes))}, which the data "
            "already has: map that column too, or drop it"
        )
    return converted.rename(dict(columns))


def _converted(frame: FrameLike) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pa.RecordBatch):
        frame = pa.Table.from_batches([frame])
    if isinstance(frame, pa.Table):
        converted = pl.from_arrow(frame)
        assert isinstance(converted, pl.DataFrame)
        return converted
    if type(frame).__module__.startswith("pandas"):
        return pl.from_pandas(frame)
    raise SchemaError(f"expected a pandas, Polars or Arrow table, got {type(frame).__name__}")


def parse_column_mapping(pairs: list[str]) -> dict[str, str]:
    """``theirs=ours`` pairs (a CLI's ``--column`` options) as a mapping.

    >>> parse_column_mapping(["id=event_id", "p=score"])
    {'id': 'event_id', 'p': 'score'}
    >>> parse_column_mapping(["score"])
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: column mapping 'score' must read THEIRS=OURS, e.g. txn_id=event_id
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        source, separator, target = pair.partition("=")
        if not separator or not source.strip() or not target.strip():
            raise SchemaError(
                f"column mapping {pair!r} must read THEIRS=OURS, e.g. txn_id=event_id"
            )
        mapping[source.strip()] = target.strip()
    return mapping


__all__ = ["FrameLike", "as_polars", "parse_column_mapping"]
