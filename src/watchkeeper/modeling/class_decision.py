"""The decision of a multiclass model: which class to act on, given its class probabilities.

``training.decision`` chooses the rule, stored with the model version:

- ``argmax`` (default): the most probable class;
- ``cost_minimizing``: the class with the lowest expected cost under the probabilities,
  with ``monitoring.business.cost_matrix`` (actual -> predicted -> cost, a pair left out
  costing 0): deciding ``j`` costs ``sum_a p_a * cost[a][j]`` in expectation.

Ties go to the class listed first in ``label.classes``. A binary model keeps its threshold
(:mod:`watchkeeper.modeling.threshold`); a regression model decides nothing.

>>> decision = ClassDecision("cost_minimizing", ("ok", "fraud"),
...                          costs=((0.0, 10.0), (100.0, 0.0)))
>>> probabilities = np.array([[0.95, 0.05], [0.85, 0.15]])
>>> decision.expected_costs(probabilities).tolist()
[[5.0, 9.5], [15.0, 8.5]]
>>> decision.decided_classes(probabilities).tolist()
['ok', 'fraud']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from watchkeeper.config import BusinessValueConfig, TrainingConfig
from watchkeeper.errors import ConfigError, TrainingDataError

DecisionRule = Literal["argmax", "cost_minimizing"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ClassDecision:
    """A multiclass decision rule over the ``classes`` (``costs[actual][predicted]``)."""

    rule: DecisionRule
    classes: tuple[str, ...]
    costs: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        if self.rule == "cost_minimizing" and self.costs is None:
            raise ConfigError(
                "training.decision: cost_minimizing needs monitoring.business.cost_matrix"
            )
        if self.costs is not None and np.shape(self.costs) != (len(self.classes),) * 2:
            raise ConfigError(
                f"a cost matrix over {len(self.classes)} classes must be "
                f"{len(self.classes)} x {len(self.classes)}"
            )

    def expected_costs(self, probabilities: npt.ArrayLike) -> FloatArray:
        """The expected cost of deciding each class, per row: ``probabilities @ costs``."""
        if self.costs is None:
            raise ConfigError("this decision has no cost matrix")
        result: FloatArray = self._checked(probabilities) @ np.asarray(self.costs)
        return result

    def decide(self, probabilities: npt.ArrayLike) -> IntArray:
        """The position in ``classes`` of the class decided for each row."""
        if self.rule == "argmax":
            chosen = np.argmax(self._checked(probabilities), axis=1)
        else:
            chosen = np.argmin(self.expected_costs(probabilities), axis=1)
        decided: IntArray = chosen.astype(np.int64)
        return decided

    def decided_classes(self, probabilities: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """The name of the class decided for each row."""
        return np.asarray(self.classes, dtype=str)[self.decide(probabilities)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, stored with the model version.

        >>> ClassDecision("argmax", ("a", "b")).to_dict()
        {'rule': 'argmax', 'classes': ['a', 'b'], 'costs': None}
        """
        costs = None if self.costs is None else [list(row) for row in self.costs]
        return {"rule": self.rule, "classes": list(self.classes), "costs": costs}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassDecision:
        """Rebuild from :meth:`to_dict`'s output."""
        costs = data.get("costs")
        return cls(
            rule=data["rule"],
            classes=tuple(data["classes"]),
            costs=None if costs is None else tuple(tuple(float(v) for v in row) for row in costs),
        )

    def _checked(self, probabilities: npt.ArrayLike) -> FloatArray:
        values = np.asarray(probabilities, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.classes):
            raise TrainingDataError(
                f"class probabilities of shape {values.shape} do not fit {len(self.classes)} "
                "classes"
            )
        return values


def cost_array(
    cost_matrix: Mapping[str, Mapping[str, float]], classes: Sequence[str]
) -> tuple[tuple[float, ...], ...]:
    """The cost matrix as rows (actual) of columns (predicted), in ``classes`` order.

    >>> cost_array({"b": {"a": 3.0}}, ("a", "b"))
    ((0.0, 0.0), (3.0, 0.0))
    >>> cost_array({"z": {"a": 1.0}}, ("a", "b"))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: monitoring.business.cost_matrix names class(es) z not in label.classes (a, b)
    """
    named = set(cost_matrix).union(*(set(row) for row in cost_matrix.values()))
    unknown = sorted(named - set(classes))
    if unknown:
        raise ConfigError(
            f"monitoring.business.cost_matrix names class(es) {', '.join(unknown)} not in "
            f"label.classes ({', '.join(classes)})"
        )
    return tuple(
        tuple(float(cost_matrix.get(actual, {}).get(predicted, 0.0)) for predicted in classes)
        for actual in classes
    )


def class_decision(
    training: TrainingConfig, business: BusinessValueConfig, classes: Sequence[str]
) -> ClassDecision:
    """The workspace's decision rule for a multiclass model over ``classes``.

    >>> class_decision(TrainingConfig(decision="cost_minimizing"), BusinessValueConfig(), ["a", "b"])
    Traceback (most recent call last):
    ...
    watchkeeper.errors.ConfigError: training.decision: cost_minimizing needs monitoring.business.cost_matrix
    """
    costs = None
    if business.cost_matrix is not None:
        costs = cost_array(business.cost_matrix, classes)
    return ClassDecision(training.decision, tuple(classes), costs)


__all__ = ["ClassDecision", "DecisionRule", "class_decision", "cost_array"]
