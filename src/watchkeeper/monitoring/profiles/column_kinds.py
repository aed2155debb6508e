"""Which columns are numeric, which categorical, and which cannot be compared at all.

Strings, booleans and dictionary columns are categorical; integers are categorical when they
take few distinct values (codes, flags, weekdays) and numeric otherwise; floats are numeric.
Dates, timestamps, binary and nested columns are skipped, with the reason.

>>> import pyarrow as pa
>>> table = pa.table({"amount": [1.5, 2.0], "country": ["DE", "FR"], "day": [1, 2], "ts": pa.array([1, 2], pa.timestamp("s"))})
>>> kinds = infer_column_kinds(table)
>>> kinds.kinds
{'amount': 'numeric', 'country': 'categorical', 'day': 'categorical'}
>>> kinds.skipped
{'ts': 'type timestamp[s] is neither numeric nor categorical'}
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.monitoring.profiles.column_summaries import is_text
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind

INTEGER_CATEGORY_LIMIT = 20
"""An integer column with at most this many distinct values is treated as categorical."""


@dataclass(frozen=True)
class ColumnKinds:
    """The kind of every comparable column (in table order) and why the others were skipped."""

    kinds: dict[str, FeatureKind] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def infer_column_kinds(
    table: pa.Table,
    categorical: Collection[str] = (),
    integer_category_limit: int = INTEGER_CATEGORY_LIMIT,
) -> ColumnKinds:
    """Classify the columns of ``table``; names in ``categorical`` are categorical whatever
    their type (a float code, say).

    >>> infer_column_kinds(pa.table({"code": [1.0, 2.0]}), categorical=["code"]).kinds
    {'code': 'categorical'}
    """
    kinds: dict[str, FeatureKind] = {}
    skipped: dict[str, str] = {}
    for name, data_type in zip(table.column_names, table.schema.types, strict=True):
        comparable = _is_numeric(data_type) or _is_label(data_type)
        if not comparable:
            skipped[name] = f"type {data_type} is neither numeric nor categorical"
        elif name in categorical or _is_label(data_type):
            kinds[name] = "categorical"
        elif pa.types.is_integer(data_type):
            distinct = pc.count_distinct(table.column(name)).as_py()
            kinds[name] = "categorical" if distinct <= integer_category_limit else "numeric"
        else:
            kinds[name] = "numeric"
    return ColumnKinds(kinds, skipped)


def _is_numeric(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_decimal(data_type)
    )


def _is_label(data_type: pa.DataType) -> bool:
    return bool(
        is_text(data_type) or pa.types.is_boolean(data_type) or pa.types.is_dictionary(data_type)
    )


__all__ = ["INTEGER_CATEGORY_LIMIT", "ColumnKinds", "infer_column_kinds"]
