"""Models of the other tasks: class probabilities (multiclass) and predicted numbers (regression).

A binary model is a :class:`~watchkeeper.modeling.model.Model` (``predict_scores``). The
other two tasks have a method each:

- :class:`ClassProbabilityModel`: ``predict_probabilities(features)`` is an ``(n, k)`` matrix
  whose columns follow ``classes`` (the workspace's ``label.classes`` order), rows summing
  to 1;
- :class:`ValueModel`: ``predict_values(features)``, one number per row.

The adapters wrap a LightGBM booster (``multiclass`` / ``regression`` objectives, kept as the
booster so it saves as LightGBM's model text) and any scikit-learn estimator or pipeline
(``predict_proba`` with its ``classes_`` matched to the classes by name; ``predict``).
:func:`as_task_model` wraps whatever a trainer returned.

>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> rows = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
>>> fitted = LogisticRegression().fit(rows, ["low", "low", "mid", "mid", "high", "high"])
>>> [str(name) for name in fitted.classes_]  # scikit-learn sorts them
['high', 'low', 'mid']
>>> model = as_task_model(fitted, ["x"], "multiclass", ("low", "mid", "high"))
>>> model.predict_probabilities(rows).argmax(axis=1).tolist()
[0, 0, 1, 1, 2, 2]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from watchkeeper.config import ModelTask
from watchkeeper.errors import TrainingError
from watchkeeper.modeling.model import FeatureInput, FloatArray, Model, as_model, feature_matrix

if TYPE_CHECKING:
    import lightgbm as lgb

PROBABILITY_TOLERANCE = 1e-6
"""How far a row of class probabilities may sum from 1 before it is refused."""


@runtime_checkable
class ClassProbabilityModel(Protocol):
    """A fitted multiclass classifier: one probability per class, in ``classes`` order."""

    classes: tuple[str, ...]

    def predict_probabilities(self, features: FeatureInput) -> FloatArray:
        """An ``(n, k)`` matrix; column ``j`` is the probability of ``classes[j]``."""
        ...


@runtime_checkable
class ValueModel(Protocol):
    """A fitted regression model: one predicted number per row."""

    def predict_values(self, features: FeatureInput) -> FloatArray:
        """One prediction per row of ``features``."""
        ...


TaskModel = Model | ClassProbabilityModel | ValueModel
"""A model of any task: binary scores, class probabilities or predicted values."""


class LightGBMClassModel:
    """A LightGBM ``multiclass`` booster whose class ``j`` is ``classes[j]``."""

    task = "multiclass"

    def __init__(
        self, booster: lgb.Booster, feature_names: Sequence[str], classes: Sequence[str]
    ) -> None:
        outputs = booster.num_model_per_iteration()
        if outputs != len(classes):
            raise TrainingError(
                f"the LightGBM booster predicts {outputs} class(es), and label.classes names "
                f"{len(classes)}: train it with objective multiclass and num_class "
                f"{len(classes)}, class j being label.classes[j]"
            )
        self.booster = booster
        self.feature_names = tuple(feature_names)
        self.classes = tuple(classes)

    def predict_probabilities(self, features: FeatureInput) -> FloatArray:
        """The booster's class probabilities, one column per class."""
        matrix = feature_matrix(features, self.feature_names)
        probabilities = np.asarray(self.booster.predict(matrix), dtype=np.float64)
        return checked_probabilities(probabilities.reshape(len(matrix), -1), self.classes)


class LightGBMValueModel:
    """A LightGBM regression booster."""

    task = "regression"

    def __init__(self, booster: lgb.Booster, feature_names: Sequence[str]) -> None:
        if booster.num_model_per_iteration() != 1:
            raise TrainingError("a regression model predicts one number; this booster does not")
        self.booster = booster
        self.feature_names = tuple(feature_names)

    def predict_values(self, features: FeatureInput) -> FloatArray:
        """The booster's prediction for each row."""
        values: FloatArray = np.asarray(
            self.booster.predict(feature_matrix(features, self.feature_names)), dtype=np.float64
        )
        return values


class SklearnClassModel:
    """A scikit-learn classifier or pipeline; ``predict_proba`` reordered to ``classes``.

    The estimator's ``classes_`` are matched to ``classes`` by name (``str`` of each); a
    class the estimator never saw gets probability 0, and one outside ``classes`` is refused.
    """

    task = "multiclass"

    def __init__(
        self, estimator: Any, feature_names: Sequence[str], classes: Sequence[str]
    ) -> None:
        if not hasattr(estimator, "predict_proba"):
            raise TrainingError(
                f"{type(estimator).__name__} has no predict_proba: a multiclass model must give "
                "class probabilities"
            )
        known = [str(value) for value in getattr(estimator, "classes_", ())]
        unknown = [name for name in known if name not in classes]
        if not known or unknown:
            raise TrainingError(
                f"{type(estimator).__name__} was fitted on classes {known}, which do not all "
                f"belong to label.classes ({', '.join(classes)})"
            )
        self.estimator = estimator
        self.feature_names = tuple(feature_names)
        self.classes = tuple(classes)
        self._columns = np.array([self.classes.index(name) for name in known])

    def predict_probabilities(self, features: FeatureInput) -> FloatArray:
        """The estimator's probabilities, one column per class of ``classes``."""
        given = np.asarray(
            self.estimator.predict_proba(feature_matrix(features, self.feature_names)),
            dtype=np.float64,
        )
        probabilities = np.zeros((given.shape[0], len(self.classes)), dtype=np.float64)
        probabilities[:, self._columns] = given
        return checked_probabilities(probabilities, self.classes)


class SklearnValueModel:
    """A scikit-learn regressor or pipeline; predicts with ``predict``."""

    task = "regression"

    def __init__(self, estimator: Any, feature_names: Sequence[str]) -> None:
        if not hasattr(estimator, "predict"):
            raise TrainingError(f"{type(estimator).__name__} has no predict method")
        self.estimator = estimator
        self.feature_names = tuple(feature_names)

    def predict_values(self, features: FeatureInput) -> FloatArray:
        """The estimator's prediction for each row."""
        values = np.asarray(
            self.estimator.predict(feature_matrix(features, self.feature_names)), dtype=np.float64
        )
        return values.reshape(-1)


def checked_probabilities(probabilities: FloatArray, classes: Sequence[str]) -> FloatArray:
    """``probabilities`` when it has one column per class and each row sums to 1.

    >>> checked_probabilities(np.array([[0.5, 0.4]]), ("a", "b"))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingError: class probabilities of row 0 sum to 0.9, not 1
    """
    if probabilities.ndim != 2 or probabilities.shape[1] != len(classes):
        raise TrainingError(
            f"the model gave class probabilities of shape {probabilities.shape}, not one "
            f"column per class ({len(classes)})"
        )
    sums = probabilities.sum(axis=1)
    wrong = np.flatnonzero(~(np.abs(sums - 1) <= PROBABILITY_TOLERANCE))
    if wrong.size:
        row = int(wrong[0])
        raise TrainingError(f"class probabilities of row {row} sum to {sums[row]:.6g}, not 1")
    return probabilities


def as_task_model(
    fitted: object,
    feature_names: Sequence[str],
    task: ModelTask,
    classes: Sequence[str] | None = None,
) -> TaskModel:
    """Wrap what a trainer returned as a model of ``task``.

    Binary goes to :func:`~watchkeeper.modeling.model.as_model`. Multiclass (``classes``
    required): a LightGBM ``Booster`` becomes a :class:`LightGBMClassModel` (its class ``j``
    is ``classes[j]``), an ``LGBMClassifier`` too when its ``classes_`` are in that order,
    any other object with ``predict_proba`` a :class:`SklearnClassModel`, and an object with
    ``predict_probabilities`` and ``classes`` is used as it is. Regression: a booster or
    ``LGBMRegressor`` becomes a :class:`LightGBMValueModel`, an object with
    ``predict_values`` is used as it is, any other with ``predict`` a
    :class:`SklearnValueModel`.

    >>> as_task_model(object(), ["x"], "regression")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingError: the trainer returned an object of type object, which has neither predict_values nor predict
    """
    if task == "binary":
        return as_model(fitted, feature_names)
    import lightgbm as lgb

    if task == "multiclass":
        if classes is None:
            raise TrainingError("a multiclass model needs label.classes")
        if isinstance(fitted, LightGBMClassModel | SklearnClassModel):
            return fitted
        if isinstance(fitted, lgb.Booster):
            return LightGBMClassModel(fitted, feature_names, classes)
        if isinstance(fitted, lgb.LGBMClassifier) and [
            str(name) for name in fitted.classes_
        ] == list(classes):
            return LightGBMClassModel(fitted.booster_, feature_names, classes)
        if isinstance(fitted, ClassProbabilityModel) and not hasattr(fitted, "predict_proba"):
            return fitted
        if hasattr(fitted, "predict_proba"):
            return SklearnClassModel(fitted, feature_names, classes)
        raise TrainingError(
            f"the trainer returned an object of type {type(fitted).__name__}, which has neither "
            "predict_probabilities nor predict_proba"
        )
    if isinstance(fitted, LightGBMValueModel | SklearnValueModel):
        return fitted
    if isinstance(fitted, lgb.Booster):
        return LightGBMValueModel(fitted, feature_names)
    if isinstance(fitted, lgb.LGBMRegressor):
        return LightGBMValueModel(fitted.booster_, feature_names)
    if isinstance(fitted, ValueModel):
        return fitted
    if hasattr(fitted, "predict"):
        return SklearnValueModel(fitted, feature_names)
    raise TrainingError(
        f"the trainer returned an object of type {type(fitted).__name__}, which has neither "
        "predict_values nor predict"
    )


def model_task(model: object) -> ModelTask:
    """The task a model serves, read from its methods.

    >>> model_task(object())
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingError: an object of type object is no model: it has none of predict_scores, predict_probabilities, predict_values
    """
    if isinstance(model, ClassProbabilityModel):
        return "multiclass"
    if isinstance(model, ValueModel):
        return "regression"
    if isinstance(model, Model):
        return "binary"
    raise TrainingError(
        f"an object of type {type(model).__name__} is no model: it has none of predict_scores, "
        "predict_probabilities, predict_values"
    )


__all__ = [
    "PROBABILITY_TOLERANCE",
    "ClassProbabilityModel",
    "LightGBMClassModel",
    "LightGBMValueModel",
    "SklearnClassModel",
    "SklearnValueModel",
    "TaskModel",
    "ValueModel",
    "as_task_model",
    "checked_probabilities",
    "model_task",
]
