"""Raw input validation at the edge, for whole frames (the batch engine's gate).

:func:`validate_frame` applies the rules of :mod:`~watchkeeper.features.schema_validation`
to every row at once and splits the frame into valid rows, with every declared input in its
canonical type (Float64, Int64, String, Boolean, Datetime in microseconds UTC), and rejected
rows, each with the first field that broke the schema and the reason. The policy decides
what rejected rows do: ``fail`` raises :class:`~watchkeeper.errors.InvalidInputError` naming
the first of them, ``quarantine`` returns them in a side frame. Nothing is coerced silently.

Columns may arrive typed (Parquet) or as text (CSV, JSON): text is parsed strictly, and a
value that does not parse is a rejected row, not a missing value. A column of the wrong type
altogether (a Boolean column for a float input) is a :class:`~watchkeeper.errors.SchemaError`.
An absent optional column reads as missing everywhere; an absent required one is an error.

>>> import polars as pl
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(
...     inputs={"ts": {"type": "timestamp"}, "amount": {"type": "float", "min": 0}},
...     transforms=[{"name": "h", "op": "hour_of_day", "input": "ts"}])
>>> raw = pl.DataFrame({"event_id": ["a", "b", "c"],
...                     "ts": ["2026-01-01T10:00:00Z", "2026-01-01 11:00", "2026-01-01"],
...                     "amount": ["12.5", "-3", "x"]})
>>> checked = validate_frame(spec, raw, policy="quarantine")
>>> checked.valid["amount"].to_list()
[12.5]
>>> checked.rejected.select("row", "rejected_field", "rejection_reason").rows()
[(1, 'amount', 'below the minimum 0 (got -3.0)'), (2, 'amount', "not a number (got 'x')")]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import polars as pl

from watchkeeper.errors import InvalidInputError, SchemaError
from watchkeeper.features.schema_validation import parse_timestamp
from watchkeeper.quoting import QUOTE_LIMIT

if TYPE_CHECKING:
    from watchkeeper.config import InputField


class InputSchema(Protocol):
    """What validation reads of a spec: the inputs, the event time and the event id."""

    @property
    def inputs(self) -> Mapping[str, InputField]: ...

    @property
    def timestamp(self) -> str: ...

    @property
    def event_id(self) -> str: ...


InvalidRowPolicy = Literal["fail", "quarantine"]
"""What the batch engine does with rows that break the schema."""

ROW_COLUMN = "row"
"""The position of a row in the input frame (its arrival order)."""

TIMESTAMP_TYPE = pl.Datetime("us", "UTC")

_CANONICAL: dict[str, pl.DataType] = {
    "float": pl.Float64(),
    "int": pl.Int64(),
    "string": pl.String(),
    "category": pl.String(),
    "bool": pl.Boolean(),
    "timestamp": TIMESTAMP_TYPE,
}


@dataclass(frozen=True)
class ValidatedFrame:
    """Valid rows in canonical types, and the rows that were rejected.

    ``valid`` holds ``row`` (input position), the event id column when present, and every
    declared input. ``rejected`` holds the rejected rows as given, with ``row``,
    ``rejected_field`` and ``rejection_reason``.
    """

    valid: pl.DataFrame
    rejected: pl.DataFrame


def validate_frame(
    spec: InputSchema, frame: pl.DataFrame, policy: InvalidRowPolicy = "fail"
) -> ValidatedFrame:
    """Validate every row of ``frame``; see the module documentation for the rules."""
    if policy not in ("fail", "quarantine"):
        raise SchemaError(f"invalid-row policy {policy!r}: choose fail or quarantine")
    indexed = frame.with_row_index(ROW_COLUMN) if ROW_COLUMN not in frame.columns else frame
    parsed: list[pl.Expr] = []
    reasons: list[tuple[str, pl.Expr]] = []
    for i, (name, field) in enumerate(spec.inputs.items()):
        value, parse_problem = _parsed(indexed, name, field)
        required = field.required or name == spec.timestamp
        parsed += [value.alias(name), parse_problem.alias(f"__parse_{i}")]
        reasons.append((name, _reason(name, field, required, pl.col(f"__parse_{i}"))))
    work = indexed.with_columns(parsed)
    reason_columns = [
        expression.alias(f"__reason_{i}") for i, (_, expression) in enumerate(reasons)
    ]
    work = work.with_columns(reason_columns)
    first_field = pl.coalesce(
        [
            pl.when(pl.col(f"__reason_{i}").is_not_null()).then(pl.lit(name))
            for i, (name, _) in enumerate(reasons)
        ]
    )
    first_reason = pl.coalesce([pl.col(f"__reason_{i}") for i in range(len(reasons))])
    work = work.with_columns(
        first_field.alias("rejected_field"), first_reason.alias("rejection_reason")
    )
    bad = work["rejection_reason"].is_not_null()
    keep = [ROW_COLUMN, *([spec.event_id] if spec.event_id in frame.columns else [])]
    keep += [name for name in spec.inputs if name not in keep]
    valid = work.filter(~bad).select(keep)
    rejected_rows = work.filter(bad).select(ROW_COLUMN, "rejected_field", "rejection_reason")
    rejected = rejected_rows.join(indexed, on=ROW_COLUMN, how="left").sort(ROW_COLUMN)
    if policy == "fail" and rejected.height:
        first = rejected.row(0, named=True)
        where = f"row {first[ROW_COLUMN]}"
        if spec.event_id in rejected.columns:
            where += f", event {first[spec.event_id]}"
        raise InvalidInputError(
            first["rejected_field"],
            f"{first['rejection_reason']} ({where}; {rejected.height} row(s) rejected in all; "
            "quarantine them with the 'quarantine' policy)",
        )
    return ValidatedFrame(valid=valid, rejected=rejected)


def _parsed(frame: pl.DataFrame, name: str, field: InputField) -> tuple[pl.Expr, pl.Expr]:
    """The column in its canonical type, and a text reason where a given value did not parse."""
    target = _CANONICAL[field.type]
    if name not in frame.columns:
        if field.required:
            raise SchemaError(f"input column {name!r} is missing (the spec requires it)")
        return pl.lit(None, dtype=target), pl.lit(None, dtype=pl.String)
    dtype = frame.schema[name]
    column = pl.col(name)
    no_problem = pl.lit(None, dtype=pl.String)
    if dtype == pl.Null:
        return pl.lit(None, dtype=target), no_problem
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        text = column.cast(pl.String)
        if field.type in ("string", "category"):
            return text, no_problem
        value = _parse_text(frame[name].cast(pl.String), name, field)
        failed = text.is_not_null() & value.is_null()
        problem = pl.when(failed).then(pl.format(f"not {_ARTICLE[field.type]} (got '{{}}')", text))
        return value, problem
    if field.type == "float" and dtype.is_numeric():
        return column.cast(pl.Float64), no_problem
    if field.type == "int" and dtype.is_integer():
        return column.cast(pl.Int64), no_problem
    if field.type == "bool" and dtype == pl.Boolean:
        return column, no_problem
    if field.type == "timestamp" and isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return column.dt.replace_time_zone("UTC").cast(TIMESTAMP_TYPE), no_problem
        return column.dt.convert_time_zone("UTC").cast(TIMESTAMP_TYPE), no_problem
    raise SchemaError(f"input column {name!r} has type {dtype}; the spec declares {field.type}")


_ARTICLE = {
    "float": "a number",
    "int": "an integer",
    "bool": "true or false",
    "timestamp": "an ISO-8601 timestamp",
}


def _parse_text(text: pl.Series, name: str, field: InputField) -> pl.Expr:
    stripped = text.str.strip_chars()
    if field.type == "float":
        return pl.lit(stripped.cast(pl.Float64, strict=False))
    if field.type == "int":
        return pl.lit(stripped.cast(pl.Int64, strict=False))
    if field.type == "bool":
        lowered = stripped.str.to_lowercase()
        parsed = pl.select(
            pl.when(lowered == "true").then(True).when(lowered == "false").then(False)
        ).to_series()
        return pl.lit(parsed)
    # Timestamps: the plain ISO-8601 forms vectorised, every other text through the same
    # parser as the online engine, once per distinct text (a test holds the two equal).
    fast = _plain_iso_timestamps(stripped)
    rest = stripped.filter(fast.is_null()).drop_nulls().unique()
    if rest.is_empty():
        return pl.lit(fast)
    parsed_values = [_timestamp_or_none(name, value) for value in rest.to_list()]
    lookup = pl.Series(parsed_values, dtype=TIMESTAMP_TYPE)
    slow = stripped.replace_strict(rest, lookup, default=None, return_dtype=TIMESTAMP_TYPE)
    return pl.lit(fast.fill_null(slow))


PLAIN_ISO_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$"
"""The ISO-8601 forms parsed vectorised: date, time to the second, an optional fraction of
up to six digits, an optional ``Z`` or offset (none means UTC)."""


def _plain_iso_timestamps(text: pl.Series) -> pl.Series:
    """``text`` parsed where it has a plain ISO-8601 form (null elsewhere), in UTC.

    >>> _plain_iso_timestamps(
    ...     pl.Series(["2026-03-29 01:30:00.5+02:00", "2026-03-29", None])
    ... ).to_list()[1:], str(_plain_iso_timestamps(pl.Series(["2026-03-29T01:30:00Z"]))[0])
    ([None, None], '2026-03-29 01:30:00+00:00')
    """
    plain = text.str.contains(PLAIN_ISO_TIMESTAMP).fill_null(False)
    canonical = (
        pl.DataFrame({"text": text, "plain": plain})
        .select(
            pl.when(pl.col("plain"))
            .then(
                pl.col("text")
                .str.replace(" ", "T", literal=True)
                .str.replace("Z$", "+00:00")
                .str.replace(r"^([^+]*T[^+-]*)$", "${1}+00:00")
            )
            .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", strict=False)
            .dt.cast_time_unit("us")
        )
        .to_series()
    )
    return canonical.alias(text.name)


def _timestamp_or_none(name: str, text: str) -> object:
    try:
        return parse_timestamp(name, text)
    except InvalidInputError:
        return None


def _reason(name: str, field: InputField, required: bool, parse_problem: pl.Expr) -> pl.Expr:
    column = pl.col(name)
    branches: list[tuple[pl.Expr, pl.Expr]] = [(parse_problem.is_not_null(), parse_problem)]
    missing = (
        "required but missing (it is the event time)"
        if field.type == "timestamp" and required and not field.required
        else "required but missing"
    )
    if required:
        branches.append((column.is_null(), pl.lit(missing)))
    if field.type == "float":
        branches.append(
            (~column.is_finite(), pl.format("not a finite number (got {})", column.cast(pl.String)))
        )
    if field.type in ("float", "int"):
        shown = (
            column.cast(pl.Float64).cast(pl.String)
            if field.type == "float"
            else column.cast(pl.String)
        )
        if field.min is not None:
            branches.append(
                (
                    column < field.min,
                    pl.format(f"below the minimum {_plain(field.min)} (got {{}})", shown),
                )
            )
        if field.max is not None:
            branches.append(
                (
                    column > field.max,
                    pl.format(f"above the maximum {_plain(field.max)} (got {{}})", shown),
                )
            )
    if field.type in ("string", "category"):
        limit = field.length_limit
        branches.append(
            (
                column.str.len_chars() > limit,
                pl.format(
                    f"longer than {limit} characters (got '{{}}...')",
                    column.str.slice(0, QUOTE_LIMIT),
                ),
            )
        )
    if field.allowed is not None:
        choices = ", ".join(str(choice) for choice in field.allowed)
        allowed = pl.lit(pl.Series(field.allowed, dtype=_CANONICAL[field.type]))
        branches.append(
            (
                column.is_not_null() & ~column.is_in(allowed.implode()),
                pl.format(
                    f"not among the allowed values {choices} (got '{{}}')",
                    column.cast(pl.String).str.slice(0, QUOTE_LIMIT),  # a prefix of a long value
                ),
            )
        )
    expression: pl.Expr = pl.lit(None, dtype=pl.String)
    for condition, reason in reversed(branches):
        expression = pl.when(condition.fill_null(False)).then(reason).otherwise(expression)
    return expression


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


__all__ = [
    "ROW_COLUMN",
    "TIMESTAMP_TYPE",
    "InputSchema",
    "InvalidRowPolicy",
    "ValidatedFrame",
    "validate_frame",
]
