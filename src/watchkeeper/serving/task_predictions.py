"""One model version's prediction for one event, in the terms of its task.

A service scores with the versions of one workspace, whose ``model.task`` says what a
prediction is:

- ``binary``: the probability of a positive (``score``) and whether it reaches the version's
  threshold (``decision``: true or false);
- ``multiclass``: a probability per class (``probabilities``, in the workspace's
  ``label.classes`` order), the class the version's decision rule picks (``decision``, see
  :class:`~watchkeeper.modeling.class_decision.ClassDecision`; argmax when the version
  carries none) and that class's probability (``score``);
- ``regression``: the predicted number (``score``, answered as ``prediction``); no decision.

:func:`predictor_for` checks once, when the serving models load, that a version serves the
workspace's task (and, multiclass, exactly its classes), so a request never meets a model of
another kind. Each predictor answers one event (:meth:`Predictor.predict`, the service's
path) or a frame of them at once (:meth:`Predictor.predict_many`, the replayed demo's path):
the one-event answer is the many-event answer's row, where the model allows it.

>>> import numpy as np
>>> class Tickets:  # a stand-in model: any object with predict_probabilities and classes
...     classes = ("billing", "sales")
...     def predict_probabilities(self, features):
...         return np.array([[0.3, 0.7]])
>>> predictor = ClassPredictor(Tickets(), ("x",), ClassDecision("argmax", Tickets.classes),
...                            ("billing", "sales"))
>>> predictor.predict({"x": 1.0})
Prediction(score=0.7, decision='sales', probabilities={'billing': 0.3, 'sales': 0.7})
>>> predictor.predict_many(np.array([[1.0]])).decisions.tolist()
['sales']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from watchkeeper.config import ModelTask
from watchkeeper.errors import RegistryError
from watchkeeper.modeling.class_decision import ClassDecision
from watchkeeper.modeling.model import FeatureInput
from watchkeeper.modeling.task_models import ClassProbabilityModel, ValueModel
from watchkeeper.registry.registry import LoadedVersion

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Prediction:
    """What one version said about one event.

    ``score``: binary, the probability of a positive; multiclass, the probability of the
    decided class; regression, the predicted value. ``decision``: the flag (binary), the
    class (multiclass), None (regression). ``probabilities``: multiclass only.
    """

    score: float
    decision: bool | str | None
    probabilities: dict[str, float] | None = None


@dataclass(frozen=True)
class Predictions:
    """What one version said about many events, one entry per row (see :class:`Prediction`):
    ``decisions`` booleans (binary), class names (multiclass) or None (regression);
    ``probabilities`` rows x the workspace's classes (multiclass only)."""

    scores: FloatArray
    decisions: npt.NDArray[Any] | None
    probabilities: FloatArray | None = None
    classes: tuple[str, ...] = ()

    @classmethod
    def empty(cls, task: ModelTask, classes: Sequence[str] = ()) -> Predictions:
        """The predictions of no event (a model is not asked about zero rows).

        >>> Predictions.empty("multiclass", ("a", "b")).probabilities.shape
        (0, 2)
        """
        if task == "regression":
            return cls(np.empty(0), None)
        if task == "binary":
            return cls(np.empty(0), np.empty(0, dtype=np.bool_))
        names = tuple(classes)
        return cls(np.empty(0), np.empty(0, dtype=object), np.empty((0, len(names))), names)

    def row(self, index: int) -> Prediction:
        """The prediction of one row.

        >>> Predictions(np.array([0.2]), np.array([False])).row(0)
        Prediction(score=0.2, decision=False, probabilities=None)
        """
        decision = None if self.decisions is None else self.decisions[index]
        if isinstance(decision, np.generic):  # numpy's bool: the plain Python value
            decision = decision.item()
        probabilities = (
            None
            if self.probabilities is None
            else {
                name: float(p)
                for name, p in zip(self.classes, self.probabilities[index], strict=True)
            }
        )
        return Prediction(float(self.scores[index]), decision, probabilities)


class Predictor(Protocol):
    """Predicts for one event's features (name -> value) with one version, or for a frame
    of events (the feature columns by name, or a matrix in the version's feature order)."""

    def predict(self, features: Mapping[str, Any]) -> Prediction:
        """The version's prediction; ``ValueError`` when the model gives a non-finite one."""
        ...

    def predict_many(self, features: FeatureInput) -> Predictions:
        """The version's predictions of every row; ``ValueError`` as for :meth:`predict`."""
        ...


class BinaryPredictor:
    """A binary version: its score and its threshold."""

    def __init__(self, version: LoadedVersion) -> None:
        self.version = version
        self.names = tuple(version.manifest.feature_names)
        self.threshold = version.threshold

    def predict(self, features: Mapping[str, Any]) -> Prediction:
        """The probability of a positive and whether it reaches the threshold."""
        row = [_number(features.get(name)) for name in self.names]
        model = self.version.model  # read at each call: the version's model is the truth
        score_row = getattr(model, "score_row", None)  # a LightGBM model's one-row path
        if score_row is not None:
            score = float(score_row(row))
        else:
            score = float(model.predict_scores(np.array([row], dtype=np.float64))[0])
        if not math.isfinite(score):
            raise ValueError(f"version {self.version.version} returned the score {score}")
        return Prediction(score, score >= self.threshold)

    def predict_many(self, features: FeatureInput) -> Predictions:
        """The probability of a positive of each row and whether it reaches the threshold."""
        scores = np.asarray(self.version.model.predict_scores(features), dtype=np.float64)
        if not np.isfinite(scores).all():
            bad = float(scores[~np.isfinite(scores)][0])
            raise ValueError(f"version {self.version.version} returned the score {bad}")
        return Predictions(scores, scores >= self.threshold)


class ClassPredictor:
    """A multiclass version: its class probabilities and its decision rule."""

    def __init__(
        self,
        model: ClassProbabilityModel,
        feature_names: Sequence[str],
        decision: ClassDecision,
        classes: Sequence[str],
    ) -> None:
        self.model = model
        self.names = tuple(feature_names)
        self.decision = decision
        self.classes = tuple(classes)
        """The workspace's order, in which probabilities are answered and logged."""
        known = tuple(model.classes)
        self._order = [known.index(name) for name in self.classes]
        self._decision_order = [known.index(name) for name in decision.classes]

    def predict(self, features: Mapping[str, Any]) -> Prediction:
        """Every class's probability, the decided class and its probability."""
        return self.predict_many(_row(self.names, features)).row(0)

    def predict_many(self, features: FeatureInput) -> Predictions:
        """Each row's class probabilities (the workspace's order), decided class and its
        probability."""
        given = np.asarray(self.model.predict_probabilities(features), dtype=np.float64)
        if given.shape != (len(features), len(self.classes)) or not np.isfinite(given).all():
            bad = given if given.ndim != 2 else given[~np.isfinite(given).all(axis=1)]
            raise ValueError(f"the model returned the class probabilities {bad.tolist()[:1]}")
        chosen = self.decision.decide(given[:, self._decision_order])
        decided = np.asarray(self.decision.classes, dtype=object)[chosen]
        columns = np.asarray(self._decision_order, dtype=np.int64)[chosen]
        scores = given[np.arange(given.shape[0]), columns]
        return Predictions(scores, decided, given[:, self._order], self.classes)


class ValuePredictor:
    """A regression version: its predicted number."""

    def __init__(self, model: ValueModel, feature_names: Sequence[str]) -> None:
        self.model = model
        self.names = tuple(feature_names)

    def predict(self, features: Mapping[str, Any]) -> Prediction:
        """The predicted value."""
        return self.predict_many(_row(self.names, features)).row(0)

    def predict_many(self, features: FeatureInput) -> Predictions:
        """Each row's predicted value."""
        values = np.asarray(self.model.predict_values(features), dtype=np.float64).reshape(-1)
        if values.shape != (len(features),) or not np.isfinite(values).all():
            bad = values if values.shape != (len(features),) else values[~np.isfinite(values)]
            raise ValueError(f"the model returned the prediction {bad.tolist()[:1]}")
        return Predictions(values, None)


def predictor_for(
    version: LoadedVersion, task: ModelTask, classes: Sequence[str] | None = None
) -> Predictor:
    """The predictor of ``version`` for a workspace of ``task`` (and ``label.classes``).

    Raises :class:`~watchkeeper.errors.RegistryError` when the version serves another task,
    or other classes than the workspace lists.
    """
    if version.task != task:
        raise RegistryError(
            f"version {version.version} is a {version.task} model and the workspace's "
            f"model.task is {task}: register a {task} model to serve it"
        )
    names = version.manifest.feature_names
    if task == "binary":
        return BinaryPredictor(version)
    model = version.task_model
    if task == "regression":
        if not isinstance(model, ValueModel):  # pragma: no cover - the registry checks it
            raise RegistryError(f"version {version.version} has no predict_values")
        return ValuePredictor(model, names)
    if not isinstance(model, ClassProbabilityModel):  # pragma: no cover - as above
        raise RegistryError(f"version {version.version} has no predict_probabilities")
    listed = tuple(classes or ())
    if sorted(model.classes) != sorted(listed):
        raise RegistryError(
            f"version {version.version} predicts the classes {', '.join(model.classes)} and "
            f"label.classes lists {', '.join(listed) or 'none'}: retrain it on the "
            "workspace's classes"
        )
    stored = version.manifest.extra.get("decision")
    decision = (
        ClassDecision.from_dict(stored)
        if stored is not None
        else ClassDecision("argmax", tuple(model.classes))
    )
    if sorted(decision.classes) != sorted(model.classes):
        raise RegistryError(
            f"version {version.version}'s decision rule is over the classes "
            f"{', '.join(decision.classes)}, its model over {', '.join(model.classes)}"
        )
    return ClassPredictor(model, names, decision, listed)


def predict_each(
    predictor: Predictor, names: Sequence[str], features: Sequence[Mapping[str, Any]]
) -> list[Prediction]:
    """Each event's prediction, as :meth:`Predictor.predict` answers it, from one
    :meth:`Predictor.predict_many` over the events' matrix in ``names`` order (the
    predictor's features): one model call for a batch instead of one per event.

    >>> class Doubling:
    ...     def predict_many(self, matrix):
    ...         return Predictions(matrix[:, 0] * 2, matrix[:, 0] > 1)
    >>> predict_each(Doubling(), ["x"], [{"x": 0.5}, {"x": 3}])  # doctest: +NORMALIZE_WHITESPACE
    [Prediction(score=1.0, decision=False, probabilities=None),
     Prediction(score=6.0, decision=True, probabilities=None)]
    """
    matrix = np.array(
        [[_number(row.get(name)) for name in names] for row in features], dtype=np.float64
    ).reshape(len(features), len(names))
    said = predictor.predict_many(matrix)
    return [said.row(index) for index in range(len(features))]


def _row(names: Sequence[str], features: Mapping[str, Any]) -> FloatArray:
    """One event's features as a one-row matrix in ``names`` order (missing: NaN)."""
    return np.array([[_number(features.get(name)) for name in names]], dtype=np.float64)


def _number(value: Any) -> float:
    if value is None:
        return math.nan
    return float(value)


__all__ = [
    "BinaryPredictor",
    "ClassPredictor",
    "Prediction",
    "Predictions",
    "Predictor",
    "ValuePredictor",
    "predict_each",
    "predictor_for",
]
