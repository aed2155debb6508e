"""A multiclass or regression model's results on a labelled holdout, and its money.

The binary holdout lives in :mod:`watchkeeper.training.evaluation`; here:

- :class:`ClassHoldout`: features and each row's actual class (its position in
  ``label.classes``). :func:`evaluate_classes` gives accuracy, macro and weighted F1
  (scikit-learn's, over the classes present among the actual ones) and, with a cost matrix,
  the business value: minus the summed cost of each (actual, decided) pair;
- :class:`ValueHoldout`: features and each row's actual number. :func:`evaluate_values`
  gives MAE, RMSE, R² and the bias (mean prediction minus mean actual), and the business
  value: minus ``under_cost`` per unit predicted short and ``over_cost`` per unit over.

The per-row contributions (:func:`class_value_contributions`,
:func:`value_cost_contributions`) are what the validation gate bootstraps.

>>> from watchkeeper.config import BusinessValueConfig
>>> holdout = ValueHoldout(pl.DataFrame({"x": [1.0, 2.0]}), values=np.array([10.0, 20.0]))
>>> result = evaluate_values(np.array([12.0, 15.0]), holdout,
...                          BusinessValueConfig(under_cost=3.0, over_cost=1.0))
>>> result.mae, result.bias, result.business_value
(3.5, -1.5, -17.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import BusinessValueConfig
from watchkeeper.errors import TrainingDataError
from watchkeeper.modeling.class_decision import cost_array
from watchkeeper.training.task_trainers import class_codes, class_labels, value_labels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ClassHoldout:
    """Labelled multiclass rows: features, actual class positions in ``classes``."""

    features: pl.DataFrame
    labels: IntArray
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        labels = np.asarray(self.labels)
        if labels.shape != (self.features.height,):
            raise TrainingDataError(
                f"a holdout needs one label per feature row (got {self.features.height} rows, "
                f"{labels.size} labels)"
            )
        if labels.size and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise TrainingDataError("holdout labels must be positions in label.classes")
        object.__setattr__(self, "labels", labels.astype(np.int64))
        object.__setattr__(self, "classes", tuple(self.classes))

    @classmethod
    def from_frame(
        cls,
        frame: pl.DataFrame,
        feature_names: Sequence[str],
        classes: Sequence[str],
        *,
        label: str = "label",
    ) -> ClassHoldout:
        """Split a labelled frame (``label`` holding class names) into features and labels.

        >>> frame = pl.DataFrame({"x": [1.0, 2.0], "label": ["b", None]})
        >>> ClassHoldout.from_frame(frame, ["x"], ["a", "b"])
        Traceback (most recent call last):
        ...
        watchkeeper.errors.TrainingDataError: labels hold nulls (pending): only labelled events belong in training
        """
        if label not in frame.columns:
            raise TrainingDataError(f"the holdout frame has no {label!r} column")
        names = frame[label].to_numpy()
        if any(value is None for value in names):
            class_labels(names, classes, frame.height)  # raises, naming the nulls
        return cls(
            features=frame.select(feature_names),
            labels=class_codes(names.astype(str), classes),
            classes=tuple(classes),
        )

    @property
    def rows(self) -> int:
        """How many rows the holdout has."""
        return self.features.height

    @property
    def present(self) -> IntArray:
        """The positions of the classes that occur among the actual labels."""
        present: IntArray = np.unique(self.labels)
        return present


@dataclass(frozen=True)
class ValueHoldout:
    """Labelled regression rows: features and actual values."""

    features: pl.DataFrame
    values: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", value_labels(self.values, self.features.height))

    @classmethod
    def from_frame(
        cls, frame: pl.DataFrame, feature_names: Sequence[str], *, label: str = "label"
    ) -> ValueHoldout:
        """Split a labelled frame into features and values (a null is refused)."""
        if label not in frame.columns:
            raise TrainingDataError(f"the holdout frame has no {label!r} column")
        values = frame[label].cast(pl.Float64).to_numpy()
        return cls(features=frame.select(feature_names), values=values)

    @property
    def rows(self) -> int:
        """How many rows the holdout has."""
        return self.features.height


@dataclass(frozen=True)
class ClassEvaluation:
    """A multiclass model's results on a holdout, at its decision rule."""

    rows: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    business_value: float | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (recorded with the version and in the audit log)."""
        return asdict(self)


@dataclass(frozen=True)
class ValueEvaluation:
    """A regression model's results on a holdout."""

    rows: int
    mae: float
    rmse: float
    r2: float | None
    bias: float
    business_value: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (recorded with the version and in the audit log)."""
        return asdict(self)


def evaluate_classes(
    decided: npt.ArrayLike, holdout: ClassHoldout, business: BusinessValueConfig
) -> ClassEvaluation:
    """Evaluate decided class positions against the holdout's actual classes.

    >>> holdout = ClassHoldout(pl.DataFrame({"x": [0.0] * 4}), np.array([0, 1, 1, 2]),
    ...                        ("a", "b", "c"))
    >>> result = evaluate_classes(np.array([0, 1, 2, 2]), holdout, BusinessValueConfig(
    ...     cost_matrix={"b": {"c": 4.0}}))
    >>> result.accuracy, round(result.macro_f1, 4), result.business_value
    (0.75, 0.7778, -4.0)
    """
    from sklearn.metrics import accuracy_score, f1_score

    predicted = _decided(decided, holdout)
    labels = holdout.present.tolist()
    value = None
    if business.cost_matrix is not None:
        value = float(class_value_contributions(predicted, holdout, business).sum())
    return ClassEvaluation(
        rows=holdout.rows,
        accuracy=float(accuracy_score(holdout.labels, predicted)),
        macro_f1=float(
            f1_score(holdout.labels, predicted, labels=labels, average="macro", zero_division=0)
        ),
        weighted_f1=float(
            f1_score(holdout.labels, predicted, labels=labels, average="weighted", zero_division=0)
        ),
        business_value=value,
    )


def evaluate_values(
    predictions: npt.ArrayLike, holdout: ValueHoldout, business: BusinessValueConfig
) -> ValueEvaluation:
    """Evaluate predicted values against the holdout's actual ones."""
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    predicted = _predicted(predictions, holdout)
    actual = holdout.values
    constant = bool(np.all(actual == actual[0])) if actual.size else True
    return ValueEvaluation(
        rows=holdout.rows,
        mae=float(mean_absolute_error(actual, predicted)),
        rmse=float(root_mean_squared_error(actual, predicted)),
        r2=None if constant else float(r2_score(actual, predicted)),
        bias=float(np.mean(predicted) - np.mean(actual)),
        business_value=float(value_cost_contributions(predicted, holdout, business).sum()),
    )


def class_value_contributions(
    decided: npt.ArrayLike, holdout: ClassHoldout, business: BusinessValueConfig
) -> FloatArray:
    """Each row's value: minus the cost of its (actual, decided) pair.

    >>> holdout = ClassHoldout(pl.DataFrame({"x": [0.0, 0.0]}), np.array([0, 1]), ("a", "b"))
    >>> class_value_contributions(np.array([1, 1]), holdout, BusinessValueConfig(
    ...     cost_matrix={"a": {"b": 2.0}, "b": {"b": -1.0}})).tolist()
    [-2.0, 1.0]
    """
    if business.cost_matrix is None:
        raise TrainingDataError("a multiclass business value needs monitoring.business.cost_matrix")
    costs = np.asarray(cost_array(business.cost_matrix, holdout.classes))
    values: FloatArray = -costs[holdout.labels, _decided(decided, holdout)]
    return values


def value_cost_contributions(
    predictions: npt.ArrayLike, holdout: ValueHoldout, business: BusinessValueConfig
) -> FloatArray:
    """Each row's value: minus ``under_cost`` per unit short, ``over_cost`` per unit over.

    >>> holdout = ValueHoldout(pl.DataFrame({"x": [0.0, 0.0]}), np.array([5.0, 5.0]))
    >>> value_cost_contributions(np.array([3.0, 6.0]), holdout, BusinessValueConfig(
    ...     under_cost=2.0, over_cost=0.5)).tolist()
    [-4.0, -0.5]
    """
    error = _predicted(predictions, holdout) - holdout.values
    values: FloatArray = -(
        business.under_cost * np.maximum(-error, 0.0) + business.over_cost * np.maximum(error, 0.0)
    )
    return values


def _decided(decided: npt.ArrayLike, holdout: ClassHoldout) -> IntArray:
    values = np.asarray(decided, dtype=np.int64)
    if values.shape != (holdout.rows,):
        raise TrainingDataError(f"got {values.size} decisions for {holdout.rows} holdout rows")
    return values


def _predicted(predictions: npt.ArrayLike, holdout: ValueHoldout) -> FloatArray:
    values = np.asarray(predictions, dtype=np.float64)
    if values.shape != (holdout.rows,) or not np.isfinite(values).all():
        raise TrainingDataError(
            f"got {values.size} predictions for {holdout.rows} holdout rows, or non-finite ones"
        )
    return values


__all__ = [
    "ClassEvaluation",
    "ClassHoldout",
    "ValueEvaluation",
    "ValueHoldout",
    "class_value_contributions",
    "evaluate_classes",
    "evaluate_values",
    "value_cost_contributions",
]
