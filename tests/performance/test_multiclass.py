"""Realized multiclass performance against scikit-learn and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from watchkeeper.errors import SchemaError
from watchkeeper.performance import MetricInputError, realized_multiclass
from watchkeeper.performance.intervals import wilson_interval

CLASSES = ["billing", "bug", "account", "sales", "other"]


def random_window(seed: int, size: int = 3_000) -> tuple[list[str | None], list[str], np.ndarray]:
    """Labels (some pending), predictions and probabilities of a noisy five-class model."""
    generator = np.random.default_rng(seed)
    logits = generator.normal(0, 1.5, (size, len(CLASSES)))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    actual = np.array([generator.choice(len(CLASSES), p=row) for row in probabilities])
    predicted = probabilities.argmax(axis=1)
    labels: list[str | None] = [CLASSES[index] for index in actual]
    for row in np.flatnonzero(generator.random(size) < 0.1):
        labels[row] = None
    return labels, [CLASSES[index] for index in predicted], probabilities


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_realized_multiclass_matches_sklearn(seed: int) -> None:
    labels, predictions, probabilities = random_window(seed)
    result = realized_multiclass(labels, predictions, CLASSES, probabilities)
    known = [index for index, label in enumerate(labels) if label is not None]
    y = [labels[index] for index in known]
    p = [predictions[index] for index in known]
    assert result.labelled == len(known)
    assert result.coverage == pytest.approx(len(known) / len(labels))
    assert result.accuracy.value == pytest.approx(accuracy_score(y, p), abs=1e-12)
    correct = round(accuracy_score(y, p, normalize=False))
    assert result.accuracy.interval == wilson_interval(correct, len(known))
    assert result.macro_f1 == pytest.approx(f1_score(y, p, average="macro"), abs=1e-12)
    assert result.weighted_f1 == pytest.approx(f1_score(y, p, average="weighted"), abs=1e-12)
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=CLASSES)
    for index, name in enumerate(CLASSES):
        metrics = result.per_class[name]
        assert metrics.precision == pytest.approx(precision[index], abs=1e-12)
        assert metrics.recall == pytest.approx(recall[index], abs=1e-12)
        assert metrics.f1 == pytest.approx(f1[index], abs=1e-12)
        assert metrics.support == support[index]
    assert np.array_equal(np.array(result.confusion), confusion_matrix(y, p, labels=CLASSES))
    order = np.argsort(CLASSES)  # scikit-learn wants the labels sorted
    expected_auc = roc_auc_score(
        y, probabilities[known][:, order], multi_class="ovr", labels=np.array(CLASSES)[order]
    )
    assert result.roc_auc == pytest.approx(expected_auc, abs=1e-12)


def test_absent_classes_follow_sklearn_undefined_values() -> None:
    labels = ["a", "a", "b", "b"]
    predictions = ["a", "b", "b", "b"]
    result = realized_multiclass(labels, predictions, ["a", "b", "c"])
    absent = result.per_class["c"]
    assert (absent.precision, absent.recall, absent.f1) == (None, None, None)
    # macro over the classes seen (sklearn's default set of labels)
    assert result.macro_f1 == pytest.approx(f1_score(labels, predictions, average="macro"))
    precision, recall, _, _ = precision_recall_fscore_support(
        labels, predictions, labels=["a", "b", "c"], zero_division=np.nan
    )
    assert np.isnan(precision[2]) and np.isnan(recall[2])


def test_hand_computed_window() -> None:
    # actual a a a b b c, predicted a a b b c c
    result = realized_multiclass(
        ["a", "a", "a", "b", "b", "c"], ["a", "a", "b", "b", "c", "c"], ["a", "b", "c"]
    )
    assert result.accuracy.value == pytest.approx(4 / 6)
    assert result.confusion == ((2, 1, 0), (0, 1, 1), (0, 0, 1))
    # a: P 1, R 2/3, F1 0.8; b: P 1/2, R 1/2, F1 1/2; c: P 1/2, R 1, F1 2/3
    assert result.per_class["a"].f1 == pytest.approx(0.8)
    assert result.per_class["b"].precision == pytest.approx(0.5)
    assert result.per_class["c"].recall == pytest.approx(1.0)
    assert result.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert result.weighted_f1 == pytest.approx((3 * 0.8 + 2 * 0.5 + 1 * 2 / 3) / 6)
    assert result.roc_auc is None


def test_perfect_probabilities_give_an_auc_of_one() -> None:
    result = realized_multiclass(["a", "b", "c"], ["a", "b", "c"], ["a", "b", "c"], np.eye(3))
    assert result.roc_auc == 1.0 and result.accuracy.value == 1.0


def test_all_pending_window_has_no_values() -> None:
    result = realized_multiclass([None, None], ["a", "b"], ["a", "b"])
    assert result.coverage == 0.0 and result.labelled == 0
    assert result.accuracy.value is None and result.macro_f1 is None and result.weighted_f1 is None


@pytest.mark.parametrize(
    ("labels", "predictions", "message"),
    [
        (["a", "z"], ["a", "b"], "labels: 'z' is not one of the classes"),
        (["a", "b"], ["a", "q"], "predictions: 'q' is not one of the classes"),
        (["a", "b"], ["a", None], "predictions: None is not one of the classes"),
        (["a"], ["a", "b"], "labels and predictions: lengths differ (1 and 2)"),
    ],
)
def test_bad_labels_and_predictions_are_named(
    labels: list[str | None], predictions: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        realized_multiclass(labels, predictions, ["a", "b"])


def test_bad_classes_and_probabilities_are_refused() -> None:
    with pytest.raises(MetricInputError, match="at least two classes"):
        realized_multiclass(["a"], ["a"], ["a"])
    with pytest.raises(MetricInputError, match="'a' is listed more than once"):
        realized_multiclass(["a"], ["a"], ["a", "a"])
    with pytest.raises(SchemaError, match=r"row 1 sums to 0.9"):
        realized_multiclass(["a", "b"], ["a", "b"], ["a", "b"], [[0.5, 0.5], [0.5, 0.4]])
    with pytest.raises(MetricInputError, match=r"expected shape \(2, 2\)"):
        realized_multiclass(["a", "b"], ["a", "b"], ["a", "b"], [[1.0, 0.0]])
    with pytest.raises(MetricInputError, match="row 0 has a value outside"):
        realized_multiclass(["a", "b"], ["a", "b"], ["a", "b"], [[1.5, -0.5], [0.5, 0.5]])
