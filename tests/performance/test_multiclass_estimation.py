"""One-vs-rest CBPE: by hand, a property, and simulations where the truth is known."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.performance import (
    MetricInputError,
    MulticlassCalibrator,
    estimate_multiclass,
    realized_multiclass,
)
from watchkeeper.performance.binary_estimation import ScoreCalibrator

CLASSES = ["a", "b", "c", "d"]
WEIGHTS = np.array([[1.5, 0.0], [0.0, 1.5], [-1.0, -1.0], [0.5, -0.8]])
OFFSETS = np.array([0.0, 0.2, 0.3, -0.2])
SHIFT = np.array([0.7, -0.5])


def identity_calibrator(classes: list[str]) -> MulticlassCalibrator:
    return MulticlassCalibrator(
        tuple(classes), tuple(ScoreCalibrator((0.0, 1.0), (0.0, 1.0)) for _ in classes)
    )


def simulated_window(
    generator: np.random.Generator, rows: int, shift: np.ndarray, temperature: float
) -> tuple[np.ndarray, list[str], list[str]]:
    """The model's probabilities, labels drawn from the true probabilities, predictions.

    The truth is a softmax of two features; the model is that softmax at ``temperature``
    (1: calibrated; 2: overconfident). ``shift`` moves the features (covariate shift).
    """
    logits = (generator.normal(0, 1, (rows, 2)) + shift) @ WEIGHTS.T + OFFSETS
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    model = np.exp(temperature * logits)
    model /= model.sum(axis=1, keepdims=True)
    drawn = np.minimum((generator.random((rows, 1)) > np.cumsum(truth, axis=1)).sum(axis=1), 3)
    return model, [CLASSES[i] for i in drawn], [CLASSES[i] for i in model.argmax(axis=1)]


def mean_differences(
    calibrator: MulticlassCalibrator, generator: np.random.Generator, temperature: float
) -> tuple[float, float]:
    """Mean over 100 shifted windows of estimated minus realized accuracy and macro F1."""
    accuracy, macro_f1 = [], []
    for _ in range(100):
        model, labels, predictions = simulated_window(generator, 2_000, SHIFT, temperature)
        estimate = estimate_multiclass(model, predictions, calibrator)
        realized = realized_multiclass(labels, predictions, CLASSES)
        assert estimate.accuracy is not None and realized.accuracy.value is not None
        assert estimate.macro_f1 is not None and realized.macro_f1 is not None
        accuracy.append(estimate.accuracy - realized.accuracy.value)
        macro_f1.append(estimate.macro_f1 - realized.macro_f1)
    return float(np.mean(accuracy)), float(np.mean(macro_f1))


def test_estimate_matches_realized_when_the_probabilities_are_the_truth() -> None:
    # the estimator's arithmetic alone (no calibration step): measured |difference| at most
    # 0.0017 over eight seeds; the standard error of a mean of 100 windows is about 0.001
    generator = np.random.default_rng(101)
    accuracy, macro_f1 = mean_differences(identity_calibrator(CLASSES), generator, 1.0)
    assert abs(accuracy) < 0.004
    assert abs(macro_f1) < 0.004


def test_estimate_matches_realized_with_a_calibrator_fitted_on_a_reference() -> None:
    # 20,000 reference rows: measured |difference| at most 0.004 (accuracy) and 0.007
    # (macro F1) over eight seeds, against a window-to-window spread of 0.012
    generator = np.random.default_rng(1)
    model, labels, _ = simulated_window(generator, 20_000, np.zeros(2), 1.0)
    calibrator = MulticlassCalibrator.fit(model, labels, CLASSES)
    accuracy, macro_f1 = mean_differences(calibrator, generator, 1.0)
    assert abs(accuracy) < 0.01
    assert abs(macro_f1) < 0.01


def test_calibration_removes_most_of_an_overconfident_models_error() -> None:
    # one-vs-rest calibration cannot see the other classes' probabilities: a residual
    # error remains (measured 0.006 accuracy and macro F1) against 0.15 and 0.14 raw
    generator = np.random.default_rng(2)
    model, labels, _ = simulated_window(generator, 50_000, np.zeros(2), 2.0)
    calibrator = MulticlassCalibrator.fit(model, labels, CLASSES)
    raw_accuracy, raw_f1 = mean_differences(identity_calibrator(CLASSES), generator, 2.0)
    accuracy, macro_f1 = mean_differences(calibrator, generator, 2.0)
    assert raw_accuracy > 0.1 and raw_f1 > 0.1
    assert abs(accuracy) < 0.02 and abs(macro_f1) < 0.02


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=1, max_size=40))
def test_confident_probabilities_give_the_realized_values(pairs: list[tuple[str, str]]) -> None:
    classes = ["a", "b", "c"]
    labels = [label for label, _ in pairs]
    predictions = [prediction for _, prediction in pairs]
    certain = np.eye(3)[[classes.index(label) for label in labels]]
    estimate = estimate_multiclass(certain, predictions, identity_calibrator(classes))
    realized = realized_multiclass(labels, predictions, classes)
    assert estimate.accuracy == pytest.approx(realized.accuracy.value)
    assert estimate.macro_f1 == pytest.approx(realized.macro_f1)
    assert estimate.weighted_f1 == pytest.approx(realized.weighted_f1)
    assert np.allclose(estimate.expected_confusion, realized.confusion)
    for name in classes:
        assert estimate.per_class[name].precision == pytest.approx(
            realized.per_class[name].precision
        )
        assert estimate.per_class[name].recall == pytest.approx(realized.per_class[name].recall)


def test_expected_confusion_by_hand() -> None:
    probabilities = np.array([[0.7, 0.3], [0.4, 0.6], [0.1, 0.9]])
    estimate = estimate_multiclass(probabilities, ["a", "b", "b"], identity_calibrator(["a", "b"]))
    # actual a: 0.7 predicted a, 0.4 + 0.1 predicted b; actual b: 0.3 and 1.5
    assert np.allclose(estimate.expected_confusion, [[0.7, 0.5], [0.3, 1.5]])
    assert estimate.accuracy == pytest.approx(2.2 / 3)
    assert estimate.per_class["b"].precision == pytest.approx(1.5 / 2)
    assert estimate.per_class["b"].recall == pytest.approx(1.5 / 1.8)
    assert estimate.expected_support == pytest.approx({"a": 1.2, "b": 1.8})
    assert "covariate shift" in estimate.assumption


def test_calibrated_rows_sum_to_one_and_round_trip_through_json() -> None:
    generator = np.random.default_rng(4)
    model, labels, _ = simulated_window(generator, 3_000, np.zeros(2), 2.0)
    calibrator = MulticlassCalibrator.fit(model, labels, CLASSES)
    calibrated = calibrator.probabilities(model[:100])
    assert np.allclose(calibrated.sum(axis=1), 1.0)
    again = MulticlassCalibrator.from_dict(json.loads(json.dumps(calibrator.to_dict())))
    assert again == calibrator
    assert np.array_equal(again.probabilities(model[:100]), calibrated)


def test_a_row_every_calibrator_maps_to_zero_keeps_the_models_probabilities() -> None:
    zero = ScoreCalibrator((0.0, 1.0), (0.0, 0.0))
    calibrator = MulticlassCalibrator(("a", "b"), (zero, zero))
    assert calibrator.probabilities([[0.2, 0.8]]).tolist() == [[0.2, 0.8]]


def test_bad_input_is_named() -> None:
    calibrator = identity_calibrator(["a", "b"])
    with pytest.raises(ValueError, match="predictions: 'z' is not one of the classes"):
        estimate_multiclass([[0.5, 0.5]], ["z"], calibrator)
    with pytest.raises(MetricInputError, match="probabilities and predictions: lengths differ"):
        estimate_multiclass([[0.5, 0.5]], ["a", "b"], calibrator)
    with pytest.raises(MetricInputError, match=r"expected shape \(1, 2\)"):
        estimate_multiclass([[0.2, 0.3, 0.5]], ["a"], calibrator)
    with pytest.raises(MetricInputError, match="labels: 'q' is not one of the classes"):
        MulticlassCalibrator.fit([[0.5, 0.5]], ["q"], ["a", "b"])
    with pytest.raises(MetricInputError, match="1 calibrators for 2 classes"):
        MulticlassCalibrator.from_dict(
            {"classes": ["a", "b"], "calibrators": [calibrator.calibrators[0].to_dict()]}
        )
