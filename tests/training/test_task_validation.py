"""The gate per task: metrics against scikit-learn, and verdicts on clearly better or worse models."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)

from watchkeeper.config import BusinessValueConfig, RetrainingConfig
from watchkeeper.errors import NotEnoughLabelsError, SchemaError, TrainingDataError
from watchkeeper.modeling.class_decision import ClassDecision
from watchkeeper.modeling.model import FeatureInput, FloatArray
from watchkeeper.training.attempts import attempt_from_gate
from watchkeeper.training.bootstrap import resample_counts, weighted_macro_f1
from watchkeeper.training.task_evaluation import (
    ClassHoldout,
    ValueHoldout,
    evaluate_classes,
    evaluate_values,
)
from watchkeeper.training.task_validation import (
    TaskContender,
    check_task_holdout,
    class_validation_gate,
    gate_metric,
    value_validation_gate,
)

CLASSES = ("billing", "technical", "sales")
ROWS = 1500
RETRAINING: dict[str, Any] = {"bootstrap_samples": 300, "min_holdout_rows": 200}


def class_holdout(seed: int = 0) -> ClassHoldout:
    rng = np.random.default_rng(seed)
    codes = rng.choice(3, size=ROWS, p=[0.5, 0.3, 0.2])
    features = pl.DataFrame({"code": codes, "u": rng.random(ROWS)})
    return ClassHoldout(features, codes, CLASSES)


class Corrupted:
    """Gives 0.8 to the true class, except on a share ``corrupt`` of rows: the next class."""

    classes: tuple[str, ...] = CLASSES

    def __init__(self, corrupt: float) -> None:
        self.corrupt = corrupt

    def predict_probabilities(self, features: FeatureInput) -> FloatArray:
        assert isinstance(features, pl.DataFrame)
        codes = features["code"].to_numpy()
        chosen = np.where(features["u"].to_numpy() < self.corrupt, (codes + 1) % 3, codes)
        probabilities = np.full((features.height, 3), 0.1)
        probabilities[np.arange(features.height), chosen] = 0.8
        return probabilities


class Shifted:
    """Predicts the truth plus a bias and noise of its own size."""

    def __init__(self, noise: float, bias: float = 0.0, column: str = "z") -> None:
        self.noise, self.bias, self.column = noise, bias, column

    def predict_values(self, features: FeatureInput) -> FloatArray:
        assert isinstance(features, pl.DataFrame)
        noise = self.noise * features[self.column].to_numpy()
        values: FloatArray = features["truth"].to_numpy() + self.bias + noise
        return values


def value_holdout(seed: int = 0) -> ValueHoldout:
    rng = np.random.default_rng(seed)
    truth = rng.normal(50, 10, ROWS)
    features = pl.DataFrame(
        {"truth": truth, "z": rng.normal(size=ROWS), "other_z": rng.normal(size=ROWS)}
    )
    return ValueHoldout(features, truth + rng.normal(0, 1, ROWS))


def test_class_evaluation_matches_sklearn() -> None:
    holdout = class_holdout(1)
    rng = np.random.default_rng(2)
    decided = np.where(rng.random(ROWS) < 0.3, rng.integers(0, 2, ROWS), holdout.labels)
    result = evaluate_classes(decided, holdout, BusinessValueConfig())
    assert result.accuracy == pytest.approx(accuracy_score(holdout.labels, decided), abs=1e-12)
    assert result.macro_f1 == pytest.approx(f1_score(holdout.labels, decided, average="macro"))
    assert result.weighted_f1 == pytest.approx(
        f1_score(holdout.labels, decided, average="weighted")
    )
    assert result.business_value is None


def test_weighted_macro_f1_matches_sklearn_with_sample_weights() -> None:
    holdout = class_holdout(3)
    rng = np.random.default_rng(4)
    decided = np.where(rng.random(ROWS) < 0.4, rng.integers(0, 3, ROWS), holdout.labels)
    statistic = weighted_macro_f1(decided, holdout.labels, holdout.present)
    counts = next(resample_counts(ROWS, 5, seed=9))
    expected = [
        f1_score(holdout.labels, decided, average="macro", sample_weight=row) for row in counts
    ]
    np.testing.assert_allclose(statistic(counts), expected, rtol=1e-12)


def test_value_evaluation_matches_sklearn() -> None:
    holdout = value_holdout(5)
    predicted = Shifted(3.0, bias=1.0).predict_values(holdout.features)
    business = BusinessValueConfig(under_cost=2.0, over_cost=0.5)
    result = evaluate_values(predicted, holdout, business)
    assert result.mae == pytest.approx(mean_absolute_error(holdout.values, predicted))
    assert result.rmse == pytest.approx(root_mean_squared_error(holdout.values, predicted))
    assert result.r2 == pytest.approx(r2_score(holdout.values, predicted))
    assert result.bias == pytest.approx(predicted.mean() - holdout.values.mean())
    error = predicted - holdout.values
    expected = -(2.0 * np.clip(-error, 0, None).sum() + 0.5 * np.clip(error, 0, None).sum())
    assert result.business_value == pytest.approx(expected)


@pytest.mark.parametrize("metric", ["macro_f1", "accuracy", "business_value"])
def test_class_gate_accepts_a_better_challenger_and_refuses_a_worse_one(metric: str) -> None:
    holdout = class_holdout(6)
    business = BusinessValueConfig(cost_matrix={"technical": {"billing": 5.0, "sales": 5.0}})
    retraining = RetrainingConfig(primary_metric=metric, **RETRAINING)
    argmax = ClassDecision("argmax", CLASSES)
    good_model = Corrupted(0.05)
    good = TaskContender(good_model, argmax)
    poor = TaskContender(Corrupted(0.3), argmax, version=1)
    passed = class_validation_gate(poor, good, holdout, retraining=retraining, business=business)
    assert passed.accepted, passed.reason
    assert passed.primary_metric == metric
    assert passed.interval.low > 0
    assert passed.challenger_value > passed.champion_value
    if metric == "accuracy":
        assert passed.challenger_value == pytest.approx(passed.challenger.to_dict()["accuracy"])
        assert passed.challenger.to_dict()["accuracy"] == pytest.approx(
            accuracy_score(
                holdout.labels, argmax.decide(good_model.predict_probabilities(holdout.features))
            )
        )
    if metric == "macro_f1":
        assert passed.champion_value == pytest.approx(passed.champion.to_dict()["macro_f1"])
    refused = class_validation_gate(good, poor, holdout, retraining=retraining, business=business)
    assert not refused.accepted
    assert "does not beat the champion" in refused.reason


def test_class_gate_judges_each_model_by_its_own_decision_rule() -> None:
    holdout = class_holdout(7)
    # mistaking a technical ticket costs 10; a careful rule never predicts billing or sales
    # when technical has a fair chance, an argmax rule follows the probabilities
    business = BusinessValueConfig(
        cost_matrix={
            "technical": {"billing": 10.0, "sales": 10.0},
            "billing": {"technical": 1.0},
            "sales": {"technical": 1.0},
        }
    )
    costs = ((0.0, 1.0, 0.0), (10.0, 0.0, 10.0), (0.0, 1.0, 0.0))
    model = Corrupted(0.3)
    careful = TaskContender(model, ClassDecision("cost_minimizing", CLASSES, costs))
    plain = TaskContender(model, ClassDecision("argmax", CLASSES))
    retraining = RetrainingConfig(**RETRAINING)  # business_value with a cost matrix
    result = class_validation_gate(
        plain, careful, holdout, retraining=retraining, business=business
    )
    assert result.primary_metric == "business_value"
    assert result.accepted, result.reason


@pytest.mark.parametrize("metric", ["mae", "business_value"])
def test_value_gate_accepts_a_better_challenger_and_refuses_a_worse_one(metric: str) -> None:
    holdout = value_holdout(8)
    retraining = RetrainingConfig(primary_metric=metric, **RETRAINING)
    business = BusinessValueConfig(under_cost=3.0, over_cost=1.0)
    poor_model = Shifted(4.0)
    good, poor = TaskContender(Shifted(0.5)), TaskContender(poor_model, version=2)
    passed = value_validation_gate(poor, good, holdout, retraining=retraining, business=business)
    assert passed.accepted, passed.reason
    if metric == "mae":
        assert passed.lower_is_better
        assert passed.champion_value == pytest.approx(
            mean_absolute_error(holdout.values, poor_model.predict_values(holdout.features))
        )
        assert passed.challenger_value < passed.champion_value
        assert passed.interval.difference == pytest.approx(
            passed.champion_value - passed.challenger_value
        )
    refused = value_validation_gate(good, poor, holdout, retraining=retraining, business=business)
    assert not refused.accepted
    attempt = attempt_from_gate(passed, trigger="drift", champion_version=2, challenger_version=3)
    assert attempt.accepted
    assert attempt.challenger_metrics["mae"] == passed.challenger.to_dict()["mae"]
    assert attempt.evidence["primary_metric"] == metric


def test_value_gate_refuses_a_lead_that_is_not_significant() -> None:
    holdout = value_holdout(9)
    retraining = RetrainingConfig(primary_metric="mae", **RETRAINING)
    close = value_validation_gate(  # as good as the champion, with noise of its own
        TaskContender(Shifted(1.0)),
        TaskContender(Shifted(1.0, column="other_z")),
        holdout,
        retraining=retraining,
        business=BusinessValueConfig(),
    )
    assert not close.accepted
    assert close.interval.low <= 0 <= close.interval.high


def test_value_gate_leaves_a_close_lead_undecided_on_a_small_holdout() -> None:
    full = value_holdout(9)
    holdout = ValueHoldout(full.features.head(300), full.values[:300])
    retraining = RetrainingConfig(primary_metric="mae", **RETRAINING)
    champion = TaskContender(Shifted(1.0))
    challenger = TaskContender(Shifted(1.0, column="other_z"))
    business = BusinessValueConfig()
    close = value_validation_gate(
        champion, challenger, holdout, retraining=retraining, business=business
    )
    # the effect to detect: a tenth of the champion's MAE (its room: no error at all)
    assert close.power is not None
    assert close.power.effect == pytest.approx(0.1 * close.champion_value)
    assert close.outcome == "undecided" and not close.accepted
    assert close.reason.startswith("the gate cannot decide on 300 labelled rows: mae reduction")
    assert close.rows_needed is not None and close.rows_needed > 300
    assert close.evidence()["power"]["labelled_rows_needed"] == close.rows_needed
    attempt = attempt_from_gate(close, trigger="drift", champion_version=1, challenger_version=2)
    assert attempt.undecided and attempt.outcome == "undecided" and not attempt.accepted
    # on the whole holdout the gate has the power, and the same tie is a refusal
    decided = value_validation_gate(
        champion, challenger, full, retraining=retraining, business=business
    )
    assert decided.outcome == "refused" and decided.power is not None
    assert decided.power.sufficient


def test_holdouts_that_cannot_decide_are_refused() -> None:
    small = ValueHoldout(pl.DataFrame({"truth": [1.0] * 10, "z": [0.0] * 10}), np.ones(10))
    with pytest.raises(
        NotEnoughLabelsError, match=r"fewer than retraining\.min_holdout_rows"
    ) as error:
        check_task_holdout(small, min_rows=200)
    assert (error.value.have, error.value.needed, error.value.unit) == (10, 200, "labelled rows")
    holdout = value_holdout(10)
    champion = TaskContender(Shifted(1.0), feature_schema={"truth": "Float64", "z": "Int64"})
    # the champion was trained when z was an integer column
    with pytest.raises(SchemaError, match="z: Int64 -> Float64"):
        check_task_holdout(holdout, min_rows=200, champion=champion)
    one_class = ClassHoldout(pl.DataFrame({"code": [0] * 300}), np.zeros(300, np.int64), CLASSES)
    with pytest.raises(TrainingDataError, match="single class"):
        check_task_holdout(one_class, min_rows=200)


def test_the_gate_metric_per_task() -> None:
    plain, priced = BusinessValueConfig(), BusinessValueConfig(cost_matrix={"a": {"b": 1.0}})
    assert gate_metric("multiclass", "business_value", plain) == "macro_f1"
    assert gate_metric("multiclass", "business_value", priced) == "business_value"
    assert gate_metric("regression", "business_value", plain) == "business_value"
    with pytest.raises(TrainingDataError, match="'mae' does not apply to a multiclass model"):
        gate_metric("multiclass", "mae", plain)
