"""Realized performance of a multiclass model on the labels known so far.

Accuracy (with a Wilson interval), macro and weighted F1, per-class precision, recall and
F1, the confusion counts, and — given the class probabilities — the one-vs-rest macro ROC
AUC. Rows whose label is still unknown (None) are left out; ``coverage`` says how many
that left.

>>> result = realized_multiclass(
...     labels=["a", "b", "c", "a", None],
...     predictions=["a", "b", "b", "c", "a"],
...     classes=["a", "b", "c"],
... )
>>> result.labelled, result.coverage, result.accuracy.value
(4, 0.8, 0.5)
>>> result.confusion
((1, 0, 1), (0, 1, 0), (0, 1, 0))
>>> result.per_class["b"].precision, result.per_class["b"].recall
(0.5, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from watchkeeper.performance.binary import MetricValue
from watchkeeper.performance.inputs import (
    FloatArray,
    IntArray,
    check_classes,
    check_probabilities,
    check_same_length,
    class_indices,
)
from watchkeeper.performance.intervals import wilson_interval


@dataclass(frozen=True)
class ClassMetrics:
    """One class's precision, recall and F1 (None where undefined) and its counts.

    Precision is undefined when the class was never predicted, recall when it never
    occurred, and F1 (``2TP / (2TP + FP + FN)``) when neither happened.
    """

    precision: float | None
    recall: float | None
    f1: float | None
    support: int
    predicted: int


@dataclass(frozen=True)
class MulticlassPerformance:
    """Performance of one window of a multiclass model on its known labels.

    ``confusion[i][j]`` counts the events of actual class ``classes[i]`` predicted as
    ``classes[j]``. Macro F1 averages the classes that occurred or were predicted (as
    scikit-learn does when no ``labels`` are given); weighted F1 weights each by its support.
    """

    classes: tuple[str, ...]
    events: int
    labelled: int
    coverage: float
    accuracy: MetricValue
    macro_f1: float | None
    weighted_f1: float | None
    per_class: Mapping[str, ClassMetrics]
    confusion: tuple[tuple[int, ...], ...]
    roc_auc: float | None


def confusion_counts(actual: IntArray, predicted: IntArray, classes: int) -> IntArray:
    """The classes x classes counts, rows actual and columns predicted, from class indices.

    >>> confusion_counts(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    flat = np.bincount(actual * classes + predicted, minlength=classes * classes)
    counts: IntArray = flat.reshape(classes, classes).astype(np.int64)
    return counts


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def per_class_metrics(
    true_positives: FloatArray, support: FloatArray, predicted: FloatArray
) -> tuple[list[float | None], list[float | None], list[float | None]]:
    """Precision, recall and F1 of each class from its (expected or counted) TP, support and
    predicted totals; shared by the realized and estimated statistics.

    >>> per_class_metrics(np.array([1.0, 0.0]), np.array([2.0, 0.0]), np.array([1.0, 1.0]))
    ([1.0, 0.0], [0.5, None], [0.666..., 0.0])
    """
    false_positives = predicted - true_positives
    false_negatives = support - true_positives
    precision = [
        _share(float(tp), float(p)) for tp, p in zip(true_positives, predicted, strict=True)
    ]
    recall = [_share(float(tp), float(s)) for tp, s in zip(true_positives, support, strict=True)]
    f1 = [
        _share(2 * float(tp), float(2 * tp + fp + fn))
        for tp, fp, fn in zip(true_positives, false_positives, false_negatives, strict=True)
    ]
    return precision, recall, f1


def averaged_f1(
    f1: Sequence[float | None], support: FloatArray
) -> tuple[float | None, float | None]:
    """Macro F1 over the classes where F1 is defined, and F1 weighted by support.

    >>> averaged_f1([1.0, 0.0, None], np.array([3.0, 1.0, 0.0]))
    (0.5, 0.75)
    """
    defined = [value for value in f1 if value is not None]
    macro = float(np.mean(defined)) if defined else None
    total = float(support.sum())
    if total <= 0:
        return macro, None
    weighted = (
        sum((value or 0.0) * float(weight) for value, weight in zip(f1, support, strict=True))
        / total
    )
    return macro, weighted


def ovr_macro_roc_auc(actual: IntArray, probabilities: FloatArray) -> float | None:
    """One-vs-rest ROC AUC of each class, averaged over the classes that have both
    positives and negatives among ``actual`` (None when none has).

    >>> ovr_macro_roc_auc(np.array([0, 1, 2]), np.eye(3))
    1.0
    """
    from sklearn.metrics import roc_auc_score

    areas = []
    for index in range(probabilities.shape[1]):
        is_class = actual == index
        if is_class.any() and not is_class.all():
            areas.append(float(roc_auc_score(is_class, probabilities[:, index])))
    return float(np.mean(areas)) if areas else None


def realized_multiclass(
    labels: Sequence[str | None],
    predictions: Sequence[str],
    classes: Sequence[str],
    probabilities: npt.ArrayLike | None = None,
    confidence: float = 0.95,
) -> MulticlassPerformance:
    """Accuracy, macro/weighted F1, per-class metrics, confusion counts and (given the
    ``probabilities``, rows x ``classes``, each row summing to 1) one-vs-rest macro ROC AUC.

    A label or prediction that is not one of ``classes`` raises :class:`MetricInputError`
    (a ``ValueError``) naming it; a None label is a pending row, left out.
    """
    names = check_classes(classes)
    check_same_length(len(labels), len(predictions), ("labels", "predictions"))
    events = len(labels)
    known = np.array([label is not None for label in labels], dtype=np.bool_)
    predicted_all = class_indices(predictions, names, "predictions")
    actual = class_indices([label for label in labels if label is not None], names, "labels")
    predicted = predicted_all[known]
    counts = confusion_counts(actual, predicted, len(names))
    support = counts.sum(axis=1).astype(np.float64)
    predicted_totals = counts.sum(axis=0).astype(np.float64)
    precision, recall, f1 = per_class_metrics(
        np.diag(counts).astype(np.float64), support, predicted_totals
    )
    macro_f1, weighted_f1 = averaged_f1(f1, support)
    correct = int(np.trace(counts))
    labelled = int(known.sum())
    accuracy = (
        MetricValue(correct / labelled, wilson_interval(correct, labelled, confidence))
        if labelled
        else MetricValue.missing()
    )
    roc_auc = None
    if probabilities is not None:
        matrix = check_probabilities(probabilities, events, names)
        roc_auc = ovr_macro_roc_auc(actual, matrix[known])
    return MulticlassPerformance(
        classes=names,
        events=events,
        labelled=labelled,
        coverage=labelled / events if events else 0.0,
        accuracy=accuracy,
        macro_f1=macro_f1,
        weighted_f1=weighted_f1,
        per_class={
            name: ClassMetrics(
                precision[i], recall[i], f1[i], int(support[i]), int(predicted_totals[i])
            )
            for i, name in enumerate(names)
        },
        confusion=tuple(tuple(int(value) for value in row) for row in counts),
        roc_auc=roc_auc,
    )


__all__ = [
    "ClassMetrics",
    "MulticlassPerformance",
    "averaged_f1",
    "confusion_counts",
    "ovr_macro_roc_auc",
    "per_class_metrics",
    "realized_multiclass",
]
