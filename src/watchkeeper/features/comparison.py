"""Comparing two computations of one feature, value by value, with the parity tolerance.

Two values agree when both are missing, or both are present and: equal, for integers,
strings and booleans; within a relative difference of ``1e-9`` (of the larger magnitude) for
floats. Used by the parity check (batch against online) and the skew check (recomputed
against served).

>>> import polars as pl
>>> result = compare_columns("m", pl.Series([1.0, None, 3.0]), pl.Series([1.0 + 1e-12, None, 3.1]))
>>> result.mismatches, round(result.largest_difference, 6)
(1, 0.1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

RELATIVE_TOLERANCE = 1e-9
"""Floats agree when they differ by at most this share of the larger magnitude."""

EXAMPLES_KEPT = 5


@dataclass(frozen=True)
class ColumnComparison:
    """How one feature compares: rows compared, rows that disagree, the largest difference."""

    name: str
    compared: int
    mismatches: int
    largest_difference: float | None
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mismatch_rate(self) -> float:
        """Share of compared rows that disagree."""
        return self.mismatches / self.compared if self.compared else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        return {
            "feature": self.name,
            "compared": self.compared,
            "mismatches": self.mismatches,
            "mismatch_rate": self.mismatch_rate,
            "largest_difference": self.largest_difference,
            "examples": self.examples,
        }


def compare_columns(
    name: str,
    expected: pl.Series,
    actual: pl.Series,
    identifiers: pl.Series | None = None,
    relative_tolerance: float = RELATIVE_TOLERANCE,
) -> ColumnComparison:
    """Compare ``actual`` with ``expected`` row by row (same length, same order)."""
    frame = pl.DataFrame({"expected": expected, "actual": actual})
    both_missing = pl.col("expected").is_null() & pl.col("actual").is_null()
    numeric = expected.dtype.is_numeric() and actual.dtype.is_numeric()
    if numeric:
        left, right = pl.col("expected").cast(pl.Float64), pl.col("actual").cast(pl.Float64)
        difference = (left - right).abs()
        scale = pl.max_horizontal(left.abs(), right.abs())
        if expected.dtype.is_float() or actual.dtype.is_float():
            close = (left == right) | (difference <= relative_tolerance * scale)
        else:
            close = left == right
    else:
        difference = pl.lit(None, dtype=pl.Float64)
        close = pl.col("expected").cast(pl.String) == pl.col("actual").cast(pl.String)
    checked = frame.with_columns(
        (both_missing | close.fill_null(False)).alias("agrees"), difference.alias("difference")
    )
    bad = checked.with_row_index("position").filter(~pl.col("agrees"))
    largest = checked["difference"].max() if numeric else None
    examples = []
    for row in bad.head(EXAMPLES_KEPT).iter_rows(named=True):
        example = {"expected": row["expected"], "actual": row["actual"]}
        if identifiers is not None:
            example["event_id"] = identifiers[row["position"]]
        else:
            example["row"] = row["position"]
        examples.append(example)
    return ColumnComparison(
        name=name,
        compared=frame.height,
        mismatches=bad.height,
        largest_difference=float(largest) if isinstance(largest, int | float) else None,
        examples=examples,
    )


__all__ = ["RELATIVE_TOLERANCE", "ColumnComparison", "compare_columns"]
