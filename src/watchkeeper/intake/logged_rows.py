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
    "REFUSAL_COLUMNS",
    "REFUSAL_SCHEMA",
    "ROW",
    "CheckedRows",
    "empty_refusals",
    "refusals",
    "validation_refusals",
]
