"""The contract of a stateless feature: one definition, written for both engines side by side.

Each stateless feature gives the batch engine Polars expressions over a validated frame and
the online engine a function of one validated event; keeping both in one small class makes
the two easy to read against each other. ``fill`` (the value where the result would be
missing) is applied by :func:`filled` in both.

>>> import polars as pl
>>> pl.select(filled(pl.lit(None, dtype=pl.Float64), 0.0)).item(), filled_value(None, 0.0)
(0.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import polars as pl


@runtime_checkable
class RowFeature(Protocol):
    """A feature computed from the event alone."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The output column names, in order."""
        ...

    def expressions(self) -> list[pl.Expr]:
        """Batch: one expression per output column, aliased to its name."""
        ...

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """Online: one value per output column for a validated event."""
        ...


def filled(expression: pl.Expr, fill: Any) -> pl.Expr:
    """Batch: ``expression`` with missing results replaced by ``fill`` (when there is one)."""
    return expression if fill is None else expression.fill_null(fill)


def filled_value(value: Any, fill: Any) -> Any:
    """Online: ``value``, or ``fill`` when it is missing."""
    return fill if value is None else value


__all__ = ["RowFeature", "filled", "filled_value"]
