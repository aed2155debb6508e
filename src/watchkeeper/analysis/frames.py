"""Frames in, one form out: a pandas, Polars or Arrow frame read as an Arrow table.

Every frame goes the way frames are logged (:func:`~watchkeeper.intake.frames.as_polars`),
then to Arrow, so the three kinds of the same data give the same table, and the same
results. A pandas index is not read (``reset_index()`` first to keep a time index).

>>> import polars as pl
>>> as_table(pl.DataFrame({"x": [1.0, 2.0]}), "reference").column_names
['x']
>>> as_table([1, 2], "current")
Traceback (most recent call last):
...
watchkeeper.errors.DatasetError: current: expected a pandas, Polars or Arrow table, got list
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from watchkeeper.errors import DatasetError, SchemaError
from watchkeeper.intake.frames import FrameLike, as_polars

Frame = FrameLike
"""A pandas ``DataFrame``, a Polars ``DataFrame`` or ``LazyFrame``, or an Arrow ``Table`` or
``RecordBatch``."""


def as_table(data: Frame, what: str) -> pa.Table:
    """``data`` as an Arrow table with at least one row (``what`` names it in errors:
    ``reference``, ``current``)."""
    try:
        table = as_polars(data).to_arrow()
    except SchemaError as error:
        raise DatasetError(f"{what}: {error}") from None
    except pl.exceptions.PolarsError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatasetError(f"{what}: cannot read the frame ({first})") from None
    if table.num_rows == 0:
        raise DatasetError(f"{what}: has no rows")
    return table


__all__ = ["Frame", "as_table"]
