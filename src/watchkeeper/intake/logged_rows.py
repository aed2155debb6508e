"""What a checked batch of logged rows comes to: rows to keep, and rows refused with reasons.

Every way in (HTTP, files, Python) checks rows the same way and ends here: a refused row
becomes a row of the ``rejections`` table naming its field and reason, never a silent
coercion and never a reason to drop the good rows beside it.

>>> refused = refusals(pl.DataFrame({"row": [3], "event_id": ["e9"], "field": ["score"],
...     "reason": ["out_of_range"], "detail": ["above 1 (got 42.0)"]}), "predictions")
>>> refused.select("event_id", "reason", "field", "source").rows()
[('e9', 'out_of_range', 'score', 'logger')]
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

ROW = "row"
"""The position of a row in the batch it came in."""

REFUSAL_SCHEMA = pl.Schema(
    {
        "row": pl.UInt32,
        "event_id": pl.String,
        "field": pl.String,
        "reason": pl.String,
        "detail": pl.String,
    }
)
"""The columns of a frame of refused rows before it becomes ``rejections`` rows."""
REFUSAL_COLUMNS = tuple(REFUSAL_SCHEMA.names())
MISSING = "required but missing"
"""The detail of a refusal for a value that is required and missing (``missing_field``)."""


@dataclass(frozen=True)
class CheckedRows:
    """A checked batch: ``accepted`` rows in the table's columns, ``refused`` rows
    (``row, event_id, field, reason, detail``), ``repeated``: rows already logged with the
    same content (counted once, not written again), and for predictions ``events``: the
    accepted rows' inputs, typed, for the raw-event table."""

    accepted: pl.DataFrame
    refused: pl.DataFrame
    repeated: int = 0
    events: pl.DataFrame | None = None


def empty_refusals() -> pl.DataFrame:
    """A frame of no refused rows, in the refusal columns.

    >>> empty_refusals().columns
    ['row', 'event_id', 'field', 'reason', 'detail']
    """
    return pl.DataFrame(schema=REFUSAL_SCHEMA)


def validation_refusals(rejected: pl.DataFrame, event_id: str) -> pl.DataFrame:
    """Rows refused by :func:`~watchkeeper.features.frame_validation.validate_frame` (with
    ``row``, ``rejected_field`` and ``rejection_reason``) as refusal rows with reason codes.

    >>> validation_refusals(pl.DataFrame({"row": [2], "id": ["e2"], "rejected_field": ["amount"],
    ...     "rejection_reason": ["below the minimum 0 (got -3.0)"]}), "id").row(0)
    (2, 'e2', 'amount', 'out_of_range', 'below the minimum 0 (got -3.0)')
    """
    from watchkeeper.intake.reason_codes import rejection_reason

    codes = [
        rejection_reason(field, message)
        for field, message in rejected.select("rejected_field", "rejection_reason").iter_rows()
    ]
    event_ids = (
        pl.col(event_id).cast(pl.String)
        if event_id in rejected.columns
        else pl.lit(None, dtype=pl.String)
    )
    return rejected.select(
        ROW,
        event_ids.alias("event_id"),
        pl.col("rejected_field").alias("field"),
        pl.Series(codes, dtype=pl.String).alias("reason"),
        pl.col("rejection_reason").alias("detail"),
    )


@dataclass(frozen=True)
class Check:
    """One rule a row may break: the column it is about, the reason code (a
    :data:`~watchkeeper.storage.events.tables.REJECTION_REASONS` code) and a text expression,
    the detail where the row breaks it, null where it holds."""

    field: str
    code: str
    detail: pl.Expr


def first_failure(frame: pl.DataFrame, checks: Sequence[Check]) -> pl.DataFrame:
    """``frame`` with ``__field``, ``__code`` and ``__detail`` of each row's first broken
    check, in the order given (null where the row breaks none): list a column's checks from
    the most basic (missing, wrong type) to the most specific (out of range).

    >>> frame = pl.DataFrame({"x": [None, 2.0, float("inf"), 0.5]})
    >>> checks = [Check("x", "missing_field", pl.when(pl.col("x").is_null()).then(pl.lit("missing"))),
    ...           Check("x", "not_finite", pl.when(~pl.col("x").is_finite()).then(pl.lit("inf"))),
    ...           Check("x", "out_of_range", pl.when(pl.col("x") > 1).then(pl.lit("above 1")))]
    >>> first_failure(frame, checks)["__code"].to_list()
    ['missing_field', 'out_of_range', 'not_finite', None]
    """
    if not checks:
        return frame.with_columns(
            pl.lit(None, dtype=pl.String).alias(name) for name in ("__field", "__code", "__detail")
        )
    work = frame.with_columns(
        [check.detail.alias(f"__reason_{i}") for i, check in enumerate(checks)]
    )
    failed = [pl.col(f"__reason_{i}").is_not_null() for i in range(len(checks))]
    first_field = pl.coalesce(
        [pl.when(hit).then(pl.lit(check.field)) for hit, check in zip(failed, checks, strict=True)]
    )
    first_code = pl.coalesce(
        [pl.when(hit).then(pl.lit(check.code)) for hit, check in zip(failed, checks, strict=True)]
    )
    detail = pl.coalesce([pl.col(f"__reason_{i}") for i in range(len(checks))])
    return work.with_columns(
        first_field.alias("__field"), first_code.alias("__code"), detail.alias("__detail")
    ).drop([f"__reason_{i}" for i in range(len(checks))])


def refused_rows(flagged: pl.DataFrame, event_ids: pl.Expr) -> pl.DataFrame:
    """The refusal rows of a frame marked by :func:`first_failure` (``row``, the event id
    from ``event_ids``, field, reason, detail)."""
    return flagged.filter(pl.col("__code").is_not_null()).select(
        ROW,
        event_ids.alias("event_id"),
        pl.col("__field").alias("field"),
        pl.col("__code").alias("reason"),
        pl.col("__detail").alias("detail"),
    )


def refusals(refused: pl.DataFrame, table: str, source: str = "logger") -> pl.DataFrame:
    """``rejections`` rows for refused rows of ``table``, dated by the store when written.

    The rejection id is a digest of the table, the row's event id, field, reason and detail,
    so logging the same file twice records each refusal once.
    """
    digests = [
        hashlib.sha256(
            "\x1f".join((table, str(event_id), str(field), str(reason), str(detail))).encode()
        ).hexdigest()[:32]
        for event_id, field, reason, detail in refused.select(
            "event_id", "field", "reason", "detail"
        ).iter_rows()
    ]
    return pl.DataFrame(
        {
            "rejection_id": pl.Series(digests, dtype=pl.String),
            "ts": pl.Series([None] * refused.height, dtype=pl.Datetime("us", "UTC")),
            "event_id": refused["event_id"].cast(pl.String),
            "reason": refused["reason"],
            "field": refused["field"],
            "detail": refused["detail"].str.slice(0, 500),
            "source": pl.Series([source] * refused.height, dtype=pl.String),
        }
    )


__all__ = [
    "MISSING",
    "REFUSAL_COLUMNS",
    "REFUSAL_SCHEMA",
    "ROW",
    "Check",
    "CheckedRows",
    "empty_refusals",
    "first_failure",
    "refusals",
    "refused_rows",
    "validation_refusals",
]
