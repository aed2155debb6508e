"""Floating-point arithmetic on Spark columns, recorded step by step as named columns.

The compensated functions of :mod:`~watchkeeper.features.compensated` use each operand
several times (``two_sum`` reads ``a`` five times); nesting them on plain Spark columns
copies whole sub-expressions at every level and the expression tree grows exponentially
(a standard deviation reaches tens of thousands of nodes, enough to exhaust the driver).
:class:`Staged` values instead record every ``+ - * /`` as a new named column in a
:class:`ColumnProgram`, which adds them one dependency level at a time. Spark keeps a column
that is read more than once as a column (its optimizer does not inline non-trivial
expressions used twice), so the plan stays linear in the number of operations, and each
step is one IEEE-754 operation, exactly as NumPy and Python perform it.

>>> program = ColumnProgram("__example_")
>>> program.names, program.levels
([], [])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


class ColumnProgram:
    """Named steps, grouped by dependency level; :meth:`apply` adds them to a frame."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.levels: list[dict[str, Column]] = []
        self.names: list[str] = []

    def column(self, name: str) -> Staged:
        """A column of the frame, as an operand."""
        from pyspark.sql import functions as sf

        return Staged(self, sf.col(name), 0)

    def define(self, expression: Column, level: int) -> Staged:
        """Record ``expression`` (whose operands are below ``level``) as a new column."""
        from pyspark.sql import functions as sf

        name = f"{self.prefix}{len(self.names)}"
        self.names.append(name)
        while len(self.levels) < level:
            self.levels.append({})
        self.levels[level - 1][name] = expression
        return Staged(self, sf.col(name), level)

    def apply(self, frame: DataFrame) -> DataFrame:
        """``frame`` with every recorded step, one ``withColumns`` per level."""
        for step in self.levels:
            if step:
                frame = frame.withColumns(step)
        return frame


class Staged:
    """A value of a :class:`ColumnProgram`: a reference to its column and its level."""

    def __init__(self, program: ColumnProgram, reference: Column, level: int) -> None:
        self.program = program
        self.reference = reference
        self.level = level

    def _combine(self, other: Any, operation: Callable[[Any, Any], Column]) -> Staged:
        other_reference, other_level = _operand(other)
        level = max(self.level, other_level) + 1
        return self.program.define(operation(self.reference, other_reference), level)

    def _combine_reversed(self, other: Any, operation: Callable[[Any, Any], Column]) -> Staged:
        other_reference, other_level = _operand(other)
        level = max(self.level, other_level) + 1
        return self.program.define(operation(other_reference, self.reference), level)

    def __add__(self, other: Any) -> Staged:
        return self._combine(other, lambda a, b: a + b)

    def __radd__(self, other: Any) -> Staged:
        return self._combine_reversed(other, lambda a, b: a + b)

    def __sub__(self, other: Any) -> Staged:
        return self._combine(other, lambda a, b: a - b)

    def __rsub__(self, other: Any) -> Staged:
        return self._combine_reversed(other, lambda a, b: a - b)

    def __mul__(self, other: Any) -> Staged:
        return self._combine(other, lambda a, b: a * b)

    def __rmul__(self, other: Any) -> Staged:
        return self._combine_reversed(other, lambda a, b: a * b)

    def __truediv__(self, other: Any) -> Staged:
        return self._combine(other, lambda a, b: a / b)

    def __rtruediv__(self, other: Any) -> Staged:
        return self._combine_reversed(other, lambda a, b: a / b)

    def __neg__(self) -> Staged:
        return self.program.define(-self.reference, self.level + 1)


def _operand(value: Any) -> tuple[Any, int]:
    """A Spark operand and its level: staged values carry theirs, columns and numbers are 0."""
    if isinstance(value, Staged):
        return value.reference, value.level
    if isinstance(value, int | float):
        from pyspark.sql import functions as sf

        return sf.lit(float(value)), 0
    return value, 0


__all__ = ["ColumnProgram", "Staged"]
