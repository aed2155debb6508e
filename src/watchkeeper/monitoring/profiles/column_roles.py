"""Which columns are features to compare, and which play another role (and are left out).

Comparing an identifier is meaningless (every value is new, so every verdict alerts), a
timestamp always drifts, and a model's predictions and targets are not its inputs. So,
unless told otherwise, a column is left out as

* a **timestamp** when its type is a timestamp, date or time, or when its name says so
  (``ts``, ``timestamp``, ``date``, ``*_at``, ``*_ts``, ``*_date``; ``time`` and ``*_time``
  only for text) and it holds text or integers;
* an **identifier** when its name says so (``id``, ``uuid``, ``guid``, ``*_id``, ``*_uuid``,
  ``*Id``) or when, in the reference, every row has a different value: text, or integers that
  also count up (sorted, or every number of their range used once);
* a **prediction** or **target** when named by ``--prediction-column`` / ``--target-column``;
* **excluded** when named by ``--exclude``.

``--role COL=ROLE`` sets a column's role outright (``feature`` brings a left-out column back).
Every column left out is listed with the reason.

>>> import pyarrow as pa
>>> table = pa.table({"user_id": [1, 2, 3], "amount": [1.0, 2.0, 2.0], "created_at": ["2026-01-01"] * 3})
>>> roles = assign_roles(table, ["user_id", "amount", "created_at"], RoleOptions(), unique_min_rows=3)
>>> roles.features, roles.excluded
(('amount',), {'user_id': 'identifier: named like one', 'created_at': 'timestamp: named like one'})
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import DatasetError
from watchkeeper.monitoring.profiles.column_summaries import is_text

Role = Literal["feature", "identifier", "timestamp", "prediction", "target", "excluded"]
ROLES: tuple[str, ...] = get_args(Role)

UNIQUE_MIN_ROWS = 50
"""A column is judged unique per row only with at least this many values in the reference."""

_IDENTIFIER_NAME = re.compile(
    r"(?i)^(id|uuid|guid)$|[_\-. ](id|uuid|guid)$|[a-z0-9](Id|ID|Uuid|UUID)$"
)
_TIMESTAMP_NAME = re.compile(
    r"(?i)^(ts|timestamp|datetime|date|event_time)$|_(at|ts|timestamp|datetime|date)$"
)
_TIME_NAME = re.compile(r"(?i)^time$|_time$")


@dataclass(frozen=True)
class RoleOptions:
    """Roles given by the user: columns to exclude, prediction, target and timestamp
    columns, and ``--role`` settings (which win over everything else)."""

    exclude: Sequence[str] = ()
    prediction: Sequence[str] = ()
    target: Sequence[str] = ()
    timestamp: Sequence[str] = ()
    roles: Mapping[str, Role] = field(default_factory=dict)

    def named(self) -> dict[str, str]:
        """Every column the options name, with the option naming it."""
        named: dict[str, str] = {}
        for option, names in (
            ("--exclude", self.exclude),
            ("--prediction-column", self.prediction),
            ("--target-column", self.target),
            ("--timestamp-column", self.timestamp),
            ("--role", list(self.roles)),
        ):
            for name in names:
                named.setdefault(name, option)
        return named


@dataclass(frozen=True)
class ColumnRoles:
    """The features to compare (in order) and every left-out column with the reason."""

    features: tuple[str, ...]
    excluded: dict[str, str]


def parse_role(text: str) -> tuple[str, Role]:
    """``COL=ROLE`` from ``--role``.

    >>> parse_role("customer_id=feature")
    ('customer_id', 'feature')
    >>> parse_role("x=label")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.DatasetError: --role x=label: the role must be one of feature, identifier, timestamp, prediction, target, excluded
    """
    name, separator, role = text.rpartition("=")
    if not separator or not name:
        raise DatasetError(f"--role {text}: write COLUMN=ROLE, e.g. customer_id=feature")
    if role not in ROLES:
        raise DatasetError(f"--role {text}: the role must be one of {', '.join(ROLES)}")
    return name, role  # type: ignore[return-value]


def assign_roles(
    reference: pa.Table,
    names: Sequence[str],
    options: RoleOptions,
    unique_min_rows: int = UNIQUE_MIN_ROWS,
    *,
    infer: bool = True,
) -> ColumnRoles:
    """The role of each of ``names``: from the options first, else (with ``infer``) inferred
    from the name, the type and (for uniqueness) the reference's values. A column only in
    the current data is judged by its name and type alone: give it as a column of nulls, or
    leave it out of ``reference``."""
    features: list[str] = []
    excluded: dict[str, str] = {}
    for name in names:
        column = reference.column(name) if name in reference.column_names else None
        given = _given_role(name, options)
        if given is None and not infer:
            given = ("feature", "")
        role, reason = given or _inferred_role(name, column, unique_min_rows)
        if role == "feature":
            features.append(name)
        else:
            excluded[name] = f"{role}: {reason}"
    return ColumnRoles(tuple(features), excluded)


def _given_role(name: str, options: RoleOptions) -> tuple[Role, str] | None:
    if name in options.roles:
        role = options.roles[name]
        return role, f"--role {name}={role}"
    for role, option, names in (
        ("excluded", "--exclude", options.exclude),
        ("prediction", "--prediction-column", options.prediction),
        ("target", "--target-column", options.target),
        ("timestamp", "--timestamp-column", options.timestamp),
    ):
        if name in names:
            return role, option
    return None


def _inferred_role(
    name: str, column: pa.ChunkedArray | None, unique_min_rows: int
) -> tuple[Role, str]:
    data_type = None if column is None else _value_type(column.type)
    if data_type is not None and (
        pa.types.is_timestamp(data_type)
        or pa.types.is_date(data_type)
        or pa.types.is_time(data_type)
    ):
        return "timestamp", f"type {data_type}"
    textual = data_type is None or is_text(data_type)
    integral = data_type is not None and pa.types.is_integer(data_type)
    if (textual or integral) and _TIMESTAMP_NAME.search(name):
        return "timestamp", "named like one"
    if textual and _TIME_NAME.search(name):
        return "timestamp", "named like one"
    if _IDENTIFIER_NAME.search(name) and not (
        data_type is not None and pa.types.is_boolean(data_type)
    ):
        return "identifier", "named like one"
    checkable = column is not None and data_type is not None and (textual or integral)
    if checkable and _unique_per_row(column, integral, unique_min_rows):
        return "identifier", "a different value on every row of the reference"
    return "feature", ""


def _unique_per_row(column: pa.ChunkedArray, integral: bool, minimum: int) -> bool:
    values = column.drop_null()
    if len(values) < minimum or column.null_count > len(column) // 2:
        return False
    if pa.types.is_dictionary(values.type):
        # a chunk's dictionary holds at least its distinct values: a short one means repeats
        if any(len(chunk.dictionary) < len(chunk) for chunk in values.chunks):
            return False
        values = values.cast(values.type.value_type)
    if pc.count_distinct(values).as_py() != len(values):
        return False
    if not integral:
        return True
    low, high = pc.min_max(values).values()
    dense = high.as_py() - low.as_py() + 1 == len(values)
    ordered = values.combine_chunks()
    rising = len(ordered) < 2 or bool(pc.all(pc.greater(ordered[1:], ordered[:-1])).as_py())
    return dense or rising


def _value_type(data_type: pa.DataType) -> pa.DataType:
    return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


__all__ = [
    "ROLES",
    "UNIQUE_MIN_ROWS",
    "ColumnRoles",
    "Role",
    "RoleOptions",
    "assign_roles",
    "parse_role",
]
