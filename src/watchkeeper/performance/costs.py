"""Money per task: what a model's decisions cost, from the workspace's business section.

- binary and multiclass: ``monitoring.business.cost_matrix``, actual class -> predicted
  class -> cost of one event (a gain is negative; a pair left out costs 0; binary classes
  are ``"positive"`` and ``"negative"``). Realized from the labels, or expected before them
  from calibrated class probabilities: each event costs ``sum over a of p_a x cost[a][its
  predicted class]``, so realized and expected values are comparable by construction.
- binary, in full: :func:`binary_money` (realized, from matured labels) and
  :func:`expected_binary_money` (before labels, from calibrated scores: each event costs
  ``p x cost[positive][decided] + (1 - p) x cost[negative][decided]``, the CBPE expectation)
  give a window's ``cost``, ``cost_per_event``, ``business_value`` (what the decisions saved
  against deciding every event negative: no model) and ``value_against_baseline`` (against
  a rule's decisions on the same events, when given; else equal to ``business_value``).
  The monitor jobs and the demos compute binary money through these two functions only;
- regression: ``under_cost`` per unit the prediction falls short of the actual value and
  ``over_cost`` per unit it overshoots.

>>> matrix = {"positive": {"negative": 100.0}, "negative": {"positive": 5.0}}
>>> value = cost_matrix_value(["positive", "negative", "negative", None],
...                           ["negative", "positive", "negative", "positive"],
...                           matrix, BINARY_CLASSES)
>>> value.events, value.total, value.mean
(3, 105.0, 35.0)
>>> money = binary_money([1, 0, 0, None], [False, True, False, True], matrix)
>>> money.events, money.cost, money.business_value
(3, 105.0, -5.0)
>>> regression_cost([10.0, 10.0], [8.0, 11.0], under_cost=2.0, over_cost=1.0).total
5.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper import metric_names as names
from watchkeeper.performance.inputs import (
    BoolArray,
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
class BinaryMoney:
    """The money of a window's binary decisions, in the cost matrix's unit (a gain is a
    negative cost).

    ``cost`` sums the counted events' costs (``cost_per_event``: its mean, None without
    events); ``business_value`` is the cost of deciding every counted event negative minus
    ``cost``; ``value_against_baseline`` the baseline's cost (a rule's decisions, or no
    model) minus ``cost``. ``estimated``: from calibrated probabilities, not labels.
    """

    events: int
    cost: float
    cost_per_event: float | None
    baseline_cost: float
    business_value: float
    value_against_baseline: float
    estimated: bool

    def metrics(self) -> dict[str, float | None]:
        """The metric series' values by name (estimates prefixed ``estimated_``); a window
        without counted events has no money (None).

        >>> binary_money([None], [True], {}).metrics()["cost"] is None
        True
        """
        counted = self.events > 0
        values = {
            names.COST: self.cost,
            names.COST_PER_EVENT: self.cost_per_event,
            names.BUSINESS_VALUE: self.business_value,
            names.VALUE_AGAINST_BASELINE: self.value_against_baseline,
        }
        return {
            names.estimated(name) if self.estimated else name: value if counted else None
            for name, value in values.items()
        }


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


def _binary_decisions(decisions: npt.ArrayLike, events: int, what: str) -> BoolArray:
    """Decisions as booleans (True = flagged, decided positive); a missing one is refused."""
    values = np.asarray(decisions).ravel()
    check_same_length(events, values.size, ("labels", what))
    if values.dtype.kind == "O" and any(value is None for value in values.flat):
        raise MetricInputError(f"{what}: every event needs a decision (got None)")
    if values.dtype.kind not in "biuO":
        raise MetricInputError(f"{what}: a decision is true or false (got {values.dtype} values)")
    return values.astype(np.bool_)


def _binary_labels(labels: npt.ArrayLike) -> tuple[BoolArray, BoolArray]:
    """Which events have a label (1, 0, True, False; None or NaN: pending), and which of
    them are positive. ``0`` is a negative label, never a missing one.

    >>> [mask.tolist() for mask in _binary_labels([1, 0, None, False])]
    [[True, True, False, True], [True, False, False, False]]
    """
    given = np.asarray(labels)
    if given.dtype.kind in "USO" and any(isinstance(value, str) for value in given.flat):
        raise MetricInputError("labels: a binary label is 1, 0 or None, not text")
    numbers = np.asarray(given, dtype=np.float64).ravel()  # None -> NaN
    known = ~np.isnan(numbers)
    if not np.all((numbers[known] == 0.0) | (numbers[known] == 1.0)):
        wrong = numbers[known][(numbers[known] != 0.0) & (numbers[known] != 1.0)][0]
        raise MetricInputError(f"labels: a binary label is 1, 0 or None (got {wrong:g})")
    return known, numbers == 1.0


def _binary_money(
    actual_costs: FloatArray,
    no_model_costs: FloatArray,
    baseline_costs: FloatArray | None,
    estimated: bool,
) -> BinaryMoney:
    cost = float(actual_costs.sum())
    no_model = float(no_model_costs.sum())
    baseline = no_model if baseline_costs is None else float(baseline_costs.sum())
    events = int(actual_costs.size)
    return BinaryMoney(
        events=events,
        cost=cost,
        cost_per_event=cost / events if events else None,
        baseline_cost=baseline,
        business_value=no_model - cost,
        value_against_baseline=baseline - cost,
        estimated=estimated,
    )


def binary_money(
    labels: npt.ArrayLike,
    decisions: npt.ArrayLike,
    cost_matrix: Mapping[str, Mapping[str, float]],
    baseline_decisions: npt.ArrayLike | None = None,
) -> BinaryMoney:
    """The realized money of binary ``decisions`` (True = decided positive) on ``labels``
    (1 or True positive, 0 or False negative, None or NaN pending: left out).

    ``baseline_decisions``: a rule's decisions on the same events, for
    ``value_against_baseline`` (None: the baseline is no model, every event negative).

    >>> matrix = {"positive": {"positive": -30.0, "negative": 60.0},
    ...           "negative": {"positive": 10.0}}
    >>> money = binary_money([1, 1, 0, 0, None], [True, False, True, False, True], matrix)
    >>> money.cost, money.cost_per_event, money.business_value
    (40.0, 10.0, 80.0)
    """
    known, positive = _binary_labels(labels)
    flagged = _binary_decisions(decisions, known.size, "decisions")
    matrix = cost_matrix_array(cost_matrix, BINARY_CLASSES)
    actual = np.where(positive, 0, 1)[known]
    baseline = None
    if baseline_decisions is not None:
        rule = _binary_decisions(baseline_decisions, known.size, "baseline_decisions")
        baseline = matrix[actual, np.where(rule[known], 0, 1)]
    return _binary_money(
        matrix[actual, np.where(flagged[known], 0, 1)], matrix[actual, 1], baseline, False
    )


def expected_binary_money(
    probabilities: npt.ArrayLike,
    decisions: npt.ArrayLike,
    cost_matrix: Mapping[str, Mapping[str, float]],
    baseline_decisions: npt.ArrayLike | None = None,
) -> BinaryMoney:
    """The money of binary ``decisions`` expected before their labels, from calibrated
    ``probabilities`` of a positive: the same figures as :func:`binary_money`, each event
    weighing both outcomes by its probability (CBPE's expectation), so on a calibrated
    model the expectation of the realized money.

    >>> matrix = {"positive": {"positive": -30.0, "negative": 60.0},
    ...           "negative": {"positive": 10.0}}
    >>> money = expected_binary_money([0.5, 0.1], [True, False], matrix)
    >>> money.cost, money.business_value, money.estimated
    (-4.0, 40.0, True)
    """
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if not np.all(np.isfinite(p) & (p >= 0.0) & (p <= 1.0)):
        raise MetricInputError("probabilities: each must be a finite number in [0, 1]")
    flagged = _binary_decisions(decisions, p.size, "decisions")
    matrix = cost_matrix_array(cost_matrix, BINARY_CLASSES)

    def expected(decided_positive: BoolArray) -> FloatArray:
        column = np.where(decided_positive, 0, 1)
        costs: FloatArray = p * matrix[0, column] + (1.0 - p) * matrix[1, column]
        return costs

    baseline = None
    if baseline_decisions is not None:
        baseline = expected(_binary_decisions(baseline_decisions, p.size, "baseline_decisions"))
    return _binary_money(expected(flagged), expected(np.zeros(p.size, np.bool_)), baseline, True)


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
    "BinaryMoney",
    "CostValue",
    "RegressionCost",
    "binary_money",
    "cost_matrix_array",
    "cost_matrix_value",
    "expected_binary_money",
    "expected_cost_matrix_value",
    "regression_cost",
]
