"""Money per task: what a model's decisions cost, from the workspace's business section.

- binary and multiclass: ``monitoring.business.cost_matrix``, actual class -> predicted
  class -> cost of one event (a gain is negative; a pair left out costs 0; binary classes
  are ``"positive"`` and ``"negative"``). Realized from the labels, or expected before them
  from calibrated class probabilities: each event costs ``sum over a of p_a x cost[a][its
  predicted class]``, so realized and expected values are comparable by construction.
- regression: ``under_cost`` per unit the prediction falls short of the actual value and
  ``over_cost`` per unit it overshoots.

>>> matrix = {"positive": {"negative": 100.0}, "negative": {"positive": 5.0}}
>>> value = cost_matrix_value(["positive", "negative", "negative", None],
...                           ["negative", "positive", "negative", "positive"],
...                           matrix, BINARY_CLASSES)
>>> value.events, value.total, value.mean
(3, 105.0, 35.0)
>>> regression_cost([10.0, 10.0], [8.0, 11.0], under_cost=2.0, over_cost=1.0).total
5.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper.performance.inputs import (
    FloatArray,
    MetricInputError,
    check_classes,
    check_probabilities,
    check_same_length,
    class_indices,
    finite_values,
)
from watchkeeper.performance.regression import ActualValues, known_actual

BINARY_CLASSES = ("positive", "negative")
"""The class names of a binary cost matrix."""


@dataclass(frozen=True)
class CostValue:
    """The total cost of a window's decisions and its mean per counted event (None when no
    event counts); ``estimated`` when it comes from probabilities rather than labels."""

    events: int
    total: float
    mean: float | None
    estimated: bool


@dataclass(frozen=True)
class RegressionCost:
    """The cost of a window's under- and over-predictions, their sum and mean per event."""

    events: int
    under_total: float
    over_total: float
    total: float
    mean: float | None


def cost_matrix_array(
    cost_matrix: Mapping[str, Mapping[str, float]], classes: Sequence[str]
) -> FloatArray:
    """The matrix as a classes x classes array (rows actual, columns predicted), 0 where a
    pair is left out; a class not in ``classes`` or a non-finite cost is refused.

    >>> cost_matrix_array({"b": {"a": 2.0}}, ["a", "b"]).tolist()
    [[0.0, 0.0], [2.0, 0.0]]
    """
    names = check_classes(classes)
    position = {name: index for index, name in enumerate(names)}
    array = np.zeros((len(names), len(names)))
    for actual, row in cost_matrix.items():
        for predicted, cost in row.items():
            for name in (actual, predicted):
                if name not in position:
                    raise MetricInputError(
                        f"cost_matrix: {name!r} is not one of the classes {list(names)}"
                    )
            if not np.isfinite(cost):
                raise MetricInputError(
                    f"cost_matrix: {actual!r} -> {predicted!r} costs {cost}, not a finite number"
                )
            array[position[actual], position[predicted]] = float(cost)
    return array


def _cost_value(costs: FloatArray, estimated: bool) -> CostValue:
    total = float(costs.sum())
    return CostValue(int(costs.size), total, total / costs.size if costs.size else None, estimated)


def cost_matrix_value(
    actual: Sequence[str | None],
    predicted: Sequence[str],
    cost_matrix: Mapping[str, Mapping[str, float]],
    classes: Sequence[str],
) -> CostValue:
    """The realized cost of the events whose actual class is known (None: pending, left out).

    >>> cost_matrix_value(["a"], ["b"], {"a": {"b": 3.0}}, ["a", "b"]).total
    3.0
    """
    names = check_classes(classes)
    matrix = cost_matrix_array(cost_matrix, names)
    check_same_length(len(actual), len(predicted), ("actual", "predicted"))
    decided = class_indices(predicted, names, "predicted")
    known = np.array([value is not None for value in actual], dtype=np.bool_)
    truth = class_indices([value for value in actual if value is not None], names, "actual")
    return _cost_value(matrix[truth, decided[known]], estimated=False)


def expected_cost_matrix_value(
    probabilities: npt.ArrayLike,
    predicted: Sequence[str],
    cost_matrix: Mapping[str, Mapping[str, float]],
    classes: Sequence[str],
) -> CostValue:
    """The expected cost of every event before its label, from calibrated ``probabilities``
    (rows x ``classes``, each row summing to 1: for multiclass the output of
    ``MulticlassCalibrator.probabilities``; for binary ``[p, 1 - p]`` with ``p`` the
    calibrated probability of a positive).

    >>> expected_cost_matrix_value([[0.25, 0.75]], ["negative"],
    ...                            {"positive": {"negative": 100.0}}, BINARY_CLASSES).total
    25.0
    """
    names = check_classes(classes)
    matrix = cost_matrix_array(cost_matrix, names)
    decided = class_indices(predicted, names, "predicted")
    calibrated = check_probabilities(probabilities, decided.size, names)
    costs = np.einsum("ij,ji->i", calibrated, matrix[:, decided])
    return _cost_value(costs, estimated=True)


def regression_cost(
    actual: ActualValues, predicted: npt.ArrayLike, under_cost: float, over_cost: float
) -> RegressionCost:
    """The cost of each unit of shortfall (``under_cost``) and of overshoot (``over_cost``)
    over the events whose actual value is known (None or NaN: pending, left out).

    >>> regression_cost([5.0, None], [7.0, 1.0], under_cost=1.0, over_cost=0.5)
    RegressionCost(events=1, under_total=0.0, over_total=1.0, total=1.0, mean=1.0)
    """
    for name, cost in (("under_cost", under_cost), ("over_cost", over_cost)):
        if not np.isfinite(cost) or cost < 0:
            raise MetricInputError(f"{name}: {cost} must be a finite number >= 0")
    actual_values = known_actual(actual)
    predicted_values = finite_values(predicted, "predicted")
    check_same_length(actual_values.size, predicted_values.size, ("actual", "predicted"))
    known = ~np.isnan(actual_values)
    errors = predicted_values[known] - actual_values[known]
    under = float(under_cost * np.clip(-errors, 0.0, None).sum())
    over = float(over_cost * np.clip(errors, 0.0, None).sum())
    total = under + over
    return RegressionCost(
        events=int(errors.size),
        under_total=under,
        over_total=over,
        total=total,
        mean=total / errors.size if errors.size else None,
    )


__all__ = [
    "BINARY_CLASSES",
    "CostValue",
    "RegressionCost",
    "cost_matrix_array",
    "cost_matrix_value",
    "expected_cost_matrix_value",
    "regression_cost",
]
