"""Compensated (double-double) arithmetic shared, operation for operation, by both engines.

Windowed sums, means and standard deviations are differences of per-key running totals.
A plain running total loses the small values that follow a large one; here each total is
kept as a pair ``(high, error)`` where ``error`` accumulates the exact rounding error of every
addition (Knuth's two-sum), which gives about 106 bits of precision.

Every function takes Python floats or NumPy float64 arrays alike. The batch engine calls them
on whole columns and the online engine on single values, so both engines perform the same
IEEE-754 operations in the same order and agree to the last bit (NumPy and Python both round
each ``+``, ``-``, ``*``, ``/`` and ``sqrt`` correctly in binary64).

>>> total, error = 0.0, 0.0
>>> for value in (1e16, 1.0, -1e16):
...     total, error = add_to_total(total, error, value)
>>> window_total(total, error, 0.0, 0.0)
1.0
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

Number = TypeVar("Number", float, npt.NDArray[np.float64])

_SPLITTER = 134_217_729.0  # 2**27 + 1, Dekker's splitting constant for binary64


def two_sum(a: Number, b: Number) -> tuple[Number, Number]:
    """``a + b`` rounded, and the exact rounding error: ``s + e == a + b`` exactly.

    >>> two_sum(1e16, 1.0)
    (1e+16, 1.0)
    """
    total = a + b
    b_virtual = total - a
    error = (a - (total - b_virtual)) + (b - b_virtual)
    return total, error


def two_product(a: Number, b: Number) -> tuple[Number, Number]:
    """``a * b`` rounded, and the exact rounding error (Dekker's algorithm).

    >>> two_product(1.0 + 2**-30, 1.0 + 2**-30)[1] == 2.0**-60
    True
    """
    product = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(b)
    error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    return product, error


def _split(a: Number) -> tuple[Number, Number]:
    scaled = _SPLITTER * a
    high = scaled - (scaled - a)
    return high, a - high


def add_to_total(total: Number, error: Number, value: Number) -> tuple[Number, Number]:
    """Fold ``value`` into the running total ``(total, error)``."""
    new_total, rounding = two_sum(total, value)
    return new_total, error + rounding


def add_square_to_total(total: Number, error: Number, value: Number) -> tuple[Number, Number]:
    """Fold ``value**2`` into the running total ``(total, error)``, exactly as the engines do."""
    square, square_error = two_product(value, value)
    new_total, rounding = two_sum(total, square)
    return new_total, error + (rounding + square_error)


def square_error_increment(total_before: Number, value: Number) -> tuple[Number, Number]:
    """The new total and the error increment of :func:`add_square_to_total`, for prefix scans."""
    square, square_error = two_product(value, value)
    new_total, rounding = two_sum(total_before, square)
    return new_total, rounding + square_error


def window_pair(
    end_total: Number, end_error: Number, start_total: Number, start_error: Number
) -> tuple[Number, Number]:
    """The window's total (end minus start) as a normalised pair ``(high, low)``."""
    difference, rounding = two_sum(end_total, -start_total)
    return two_sum(difference, rounding + (end_error - start_error))


def window_total(
    end_total: Number, end_error: Number, start_total: Number, start_error: Number
) -> Number:
    """The window's total (end minus start), rounded to one float.

    >>> window_total(10.0, 0.0, 4.0, 0.0)
    6.0
    """
    high, low = window_pair(end_total, end_error, start_total, start_error)
    return high + low


def sum_of_squared_deviations(
    sum_high: Number, sum_low: Number, squares_high: Number, squares_low: Number, count: Number
) -> Number:
    """``sum(x**2) - sum(x)**2 / count`` of a window, from its compensated totals.

    >>> sum_of_squared_deviations(6.0, 0.0, 14.0, 0.0, 3.0)  # values 1, 2, 3
    2.0
    """
    square, square_error = two_product(sum_high, sum_high)
    square_error = square_error + 2.0 * sum_high * sum_low
    square, square_error = two_sum(square, square_error)
    quotient = square / count
    back, back_error = two_product(quotient, count)
    remainder = (((square - back) - back_error) + square_error) / count
    difference, rounding = two_sum(squares_high, -quotient)
    return difference + (rounding + (squares_low - remainder))


__all__ = [
    "add_square_to_total",
    "add_to_total",
    "square_error_increment",
    "sum_of_squared_deviations",
    "two_product",
    "two_sum",
    "window_pair",
    "window_total",
]
