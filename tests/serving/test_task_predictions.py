"""Many events at once, per task: each row is what one event alone gets, and what the model says.

Scikit-learn models fitted here on a small table are the reference: their own
``predict_proba`` / ``predict`` on the same rows, and the decision rule applied by hand (a
cost matrix whose classes are in another order than the model's, so the reordering counts).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from watchkeeper.modeling.class_decision import ClassDecision
from watchkeeper.modeling.model import SklearnModel
from watchkeeper.modeling.task_models import SklearnClassModel, SklearnValueModel
from watchkeeper.serving.task_predictions import (
    BinaryPredictor,
    ClassPredictor,
    Prediction,
    ValuePredictor,
)

NAMES = ("x", "y")
CLASSES = ("billing", "sales", "technical")  # the workspace's order


def frame(rows: int = 60, seed: int = 4) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"y": rng.normal(size=rows), "x": rng.normal(size=rows)})


def assert_same_prediction(one: Prediction, row: Prediction) -> None:
    """The same answer up to floating-point rounding: ``pytest.approx`` does not look inside
    a dataclass, and one row's probabilities may differ from the batch's in the last bit."""
    assert one.decision == row.decision
    assert one.score == pytest.approx(row.score)
    if row.probabilities is None:
        assert one.probabilities is None
    else:
        assert one.probabilities == pytest.approx(row.probabilities)


def test_multiclass_rows_are_the_one_event_answers_and_the_rule_s_classes() -> None:
    data = frame()
    matrix = data.select(NAMES).to_numpy()
    target = np.array(["technical", "billing", "sales"])[
        np.argmax(matrix @ [[1, -1, 0], [0, 1, -1]], axis=1)
    ]
    estimator = LogisticRegression().fit(matrix, target)  # classes_ sorted: billing, sales, ...
    model = SklearnClassModel(estimator, NAMES, ("technical", "sales", "billing"))
    costs = ((0.0, 5.0, 5.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0))  # over the model's order
    decision = ClassDecision("cost_minimizing", model.classes, costs)
    predictor = ClassPredictor(model, NAMES, decision, CLASSES)
    many = predictor.predict_many(data)
    expected = estimator.predict_proba(matrix)  # columns in estimator.classes_ order
    order = [list(estimator.classes_).index(name) for name in CLASSES]
    assert np.allclose(many.probabilities, expected[:, order])
    in_model_order = expected[:, [list(estimator.classes_).index(c) for c in model.classes]]
    decided = np.array(model.classes)[np.argmin(in_model_order @ np.array(costs), axis=1)]
    assert many.decisions.tolist() == decided.tolist()
    assert many.scores.tolist() == pytest.approx(
        [expected[i, list(estimator.classes_).index(c)] for i, c in enumerate(decided)]
    )
    for index, row in enumerate(data.iter_rows(named=True)):
        assert_same_prediction(predictor.predict(row), many.row(index))


def test_regression_and_binary_rows_are_the_one_event_answers() -> None:
    data = frame()
    matrix = data.select(NAMES).to_numpy()
    regressor = LinearRegression().fit(matrix, matrix @ [2.0, -1.0] + 3.0)
    values = ValuePredictor(SklearnValueModel(regressor, NAMES), NAMES).predict_many(data)
    assert values.decisions is None and values.probabilities is None
    assert values.scores == pytest.approx(regressor.predict(matrix))
    classifier = LogisticRegression().fit(matrix, matrix[:, 0] > 0)
    version = SimpleNamespace(
        model=SklearnModel(classifier, NAMES),
        manifest=SimpleNamespace(feature_names=NAMES),
        threshold=0.4,
        version=3,
    )
    binary = BinaryPredictor(version).predict_many(data)  # type: ignore[arg-type]
    scores = classifier.predict_proba(matrix)[:, 1]
    assert binary.scores == pytest.approx(scores)
    assert binary.decisions.tolist() == (scores >= 0.4).tolist()
    one = BinaryPredictor(version).predict(data.row(5, named=True))  # type: ignore[arg-type]
    assert_same_prediction(one, binary.row(5))


def test_a_non_finite_prediction_is_refused() -> None:
    class Broken:
        feature_names = NAMES

        def predict_values(self, features: object) -> np.ndarray:
            return np.array([1.0, np.nan])

    with pytest.raises(ValueError, match="the model returned the prediction"):
        ValuePredictor(Broken(), NAMES).predict_many(frame(rows=2))
