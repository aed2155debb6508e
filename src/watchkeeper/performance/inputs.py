"""Checks shared by the per-task statistics: class names, aligned lengths, finite numbers.

Every refusal is a :class:`MetricInputError`, a :class:`~watchkeeper.errors.SchemaError`
that is also a ``ValueError``, and its message names the value and the rule.

>>> class_indices(["b", "a"], ("a", "b"), "labels").tolist()
[1, 0]
>>> try:
...     class_indices(["c"], ("a", "b"), "labels")
... except ValueError as error:
...     print(error)
labels: 'c' is not one of the classes ['a', 'b']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from watchkeeper.errors import SchemaError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PROBABILITY_SUM_TOLERANCE = 1e-3
"""How far a row of class probabilities may sum from 1 (float32 outputs of many classes);
the same tolerance checks logged predictions at the edge."""


class MetricInputError(SchemaError, ValueError):
    """Labels, predictions, probabilities or costs that a statistic cannot use as given."""


def check_classes(classes: Sequence[str]) -> tuple[str, ...]:
    """The class names as a tuple; at least two, no repeats.

    >>> check_classes(["a", "b"])
    ('a', 'b')
    """
    names = tuple(classes)
    if len(names) < 2:
        raise MetricInputError(f"classes: need at least two classes (got {list(names)})")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise MetricInputError(f"classes: {repeated[0]!r} is listed more than once")
    return names


def class_indices(values: Sequence[object], classes: tuple[str, ...], what: str) -> IntArray:
    """The position of each value in ``classes``; an unknown value (or None) is refused.

    >>> class_indices(["a", "a"], ("a", "b"), "predictions").tolist()
    [0, 0]
    """
    position = {name: index for index, name in enumerate(classes)}
    indices = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        index = position.get(value) if isinstance(value, str) else None
        if index is None:
            raise MetricInputError(f"{what}: {value!r} is not one of the classes {list(classes)}")
        indices[row] = index
    return indices


def check_same_length(first: int, second: int, names: tuple[str, str]) -> None:
    """Refuse two columns of different lengths, naming both.

    >>> try:
    ...     check_same_length(2, 3, ("labels", "predictions"))
    ... except ValueError as error:
    ...     print(error)
    labels and predictions: lengths differ (2 and 3)
    """
    if first != second:
        raise MetricInputError(f"{names[0]} and {names[1]}: lengths differ ({first} and {second})")


def row_count(values: npt.ArrayLike) -> int:
    """The number of rows of a matrix-like value (0 for a scalar).

    >>> row_count([[0.5, 0.5], [1.0, 0.0]]), row_count(0.5)
    (2, 0)
    """
    try:
        return len(values)  # type: ignore[arg-type]
    except TypeError:
        return 0


def check_probabilities(
    probabilities: npt.ArrayLike,
    rows: int,
    classes: tuple[str, ...],
    tolerance: float = PROBABILITY_SUM_TOLERANCE,
) -> FloatArray:
    """A rows x classes matrix of probabilities, each row summing to 1 within ``tolerance``.

    >>> check_probabilities([[0.2, 0.8]], 1, ("a", "b")).tolist()
    [[0.2, 0.8]]
    """
    try:
        matrix = np.asarray(probabilities, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MetricInputError(f"probabilities: not a numeric matrix ({error})") from None
    if matrix.shape != (rows, len(classes)):
        raise MetricInputError(
            f"probabilities: expected shape ({rows}, {len(classes)}) (rows x classes "
            f"{list(classes)}), got {matrix.shape}"
        )
    outside = ~(np.isfinite(matrix) & (matrix >= 0) & (matrix <= 1)).all(axis=1)
    if np.any(outside):
        row = int(np.argmax(outside))
        raise MetricInputError(f"probabilities: row {row} has a value outside [0, 1]")
    sums = matrix.sum(axis=1)
    off = np.abs(sums - 1.0) > tolerance
    if np.any(off):
        row = int(np.argmax(off))
        raise MetricInputError(
            f"probabilities: row {row} sums to {sums[row]:.6g}, not 1 (tolerance {tolerance})"
        )
    return matrix


def finite_values(values: npt.ArrayLike, what: str) -> FloatArray:
    """Values as float64, refusing NaN and infinities with the first bad row.

    >>> finite_values([1, 2.5], "predicted").tolist()
    [1.0, 2.5]
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MetricInputError(f"{what}: not numeric ({error})") from None
    bad = ~np.isfinite(array)
    if np.any(bad):
        row = int(np.argmax(bad))
        raise MetricInputError(f"{what}: row {row} is {array[row]}, not a finite number")
    return array


__all__ = [
    "PROBABILITY_SUM_TOLERANCE",
    "MetricInputError",
    "check_classes",
    "check_probabilities",
    "check_same_length",
    "class_indices",
    "finite_values",
    "row_count",
]
