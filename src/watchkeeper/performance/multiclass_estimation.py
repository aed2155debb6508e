"""Estimated multiclass performance before labels arrive: one-vs-rest CBPE.

One isotonic calibrator per class, fitted on the reference holdout (where labels are known),
maps the model's probability of that class to the probability that the event truly is of
that class; the calibrated probabilities of an event are then renormalised to sum to 1. On
a window without labels, each event counts as ``p_c`` of an event of class ``c``, which
gives an *expected* confusion matrix, and from it expected accuracy, per-class precision,
recall and F1, and macro and weighted F1 (``2TP / (2TP + FP + FN)`` per class on the
expected counts).

Its assumption, as for the binary estimate: the relation between the model's probabilities
and the outcome is the one seen on the reference. It holds under covariate shift and is
blind to concept drift.

>>> import numpy as np
>>> reference = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9]])
>>> calibrator = MulticlassCalibrator.fit(reference, ["a", "a", "b", "b"], ["a", "b"])
>>> estimate = estimate_multiclass(np.array([[0.85, 0.15], [0.15, 0.85]]), ["a", "b"], calibrator)
>>> estimate.accuracy, estimate.macro_f1
(1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from watchkeeper.performance.binary_estimation import ASSUMPTION, ScoreCalibrator
from watchkeeper.performance.inputs import (
    FloatArray,
    MetricInputError,
    check_classes,
    check_probabilities,
    check_same_length,
    class_indices,
    row_count,
)
from watchkeeper.performance.multiclass import ClassMetrics, averaged_f1, per_class_metrics


@dataclass(frozen=True)
class MulticlassCalibrator:
    """One :class:`ScoreCalibrator` per class, in the order of ``classes``; JSON-ready."""

    classes: tuple[str, ...]
    calibrators: tuple[ScoreCalibrator, ...]

    @classmethod
    def fit(
        cls, probabilities: npt.ArrayLike, labels: Sequence[str], classes: Sequence[str]
    ) -> MulticlassCalibrator:
        """Fit on the reference holdout's probabilities (rows x classes) and final labels."""
        names = check_classes(classes)
        matrix = check_probabilities(probabilities, len(labels), names)
        actual = class_indices(labels, names, "labels")
        return cls(
            names,
            tuple(
                ScoreCalibrator.fit(matrix[:, index], (actual == index).astype(np.float64))
                for index in range(len(names))
            ),
        )

    def probabilities(self, probabilities: npt.ArrayLike) -> FloatArray:
        """Calibrated probabilities, rows summing to 1.

        A row that every calibrator maps to 0 keeps the model's own probabilities (there is
        nothing else to renormalise).
        """
        matrix = check_probabilities(probabilities, row_count(probabilities), self.classes)
        calibrated = np.column_stack(
            [
                calibrator.probabilities(matrix[:, index])
                for index, calibrator in enumerate(self.calibrators)
            ]
        )
        totals = calibrated.sum(axis=1, keepdims=True)
        empty = totals[:, 0] <= 0
        calibrated[empty] = matrix[empty]
        totals[empty] = 1.0
        result: FloatArray = calibrated / totals
        return result

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, stored with the model version."""
        return {
            "classes": list(self.classes),
            "calibrators": [calibrator.to_dict() for calibrator in self.calibrators],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MulticlassCalibrator:
        """Rebuild a calibrator from :meth:`to_dict`'s output."""
        classes = check_classes(data["classes"])
        calibrators = tuple(ScoreCalibrator.from_dict(item) for item in data["calibrators"])
        if len(calibrators) != len(classes):
            raise MetricInputError(
                f"calibrators: {len(calibrators)} calibrators for {len(classes)} classes"
            )
        return cls(classes, calibrators)


@dataclass(frozen=True)
class MulticlassEstimate:
    """The expected confusion matrix of a window and the metrics derived from it.

    ``expected_confusion[i][j]`` is the expected count of events of class ``classes[i]``
    predicted as ``classes[j]``. Per-class values: precision, recall, F1 (None where the
    expected denominator is 0), expected support and the count predicted (as a float).
    """

    classes: tuple[str, ...]
    events: int
    accuracy: float | None
    macro_f1: float | None
    weighted_f1: float | None
    per_class: Mapping[str, ClassMetrics]
    expected_support: Mapping[str, float]
    expected_confusion: tuple[tuple[float, ...], ...]
    assumption: str = ASSUMPTION


def estimate_multiclass(
    probabilities: npt.ArrayLike, predictions: Sequence[str], calibrator: MulticlassCalibrator
) -> MulticlassEstimate:
    """Expected accuracy, macro and weighted F1, per-class precision and recall of a window.

    ``probabilities`` are the model's (rows x the calibrator's classes), ``predictions`` the
    decided classes. :class:`ClassMetrics` ``support`` and ``predicted`` are rounded counts;
    the exact expected support is in ``expected_support``.
    """
    names = calibrator.classes
    check_same_length(row_count(probabilities), len(predictions), ("probabilities", "predictions"))
    calibrated = calibrator.probabilities(probabilities)
    predicted = class_indices(predictions, names, "predictions")
    decided = np.zeros_like(calibrated)
    decided[np.arange(predicted.size), predicted] = 1.0
    expected_confusion = calibrated.T @ decided  # [actual, predicted]
    support = expected_confusion.sum(axis=1)
    predicted_totals = expected_confusion.sum(axis=0)
    true_positives = np.diag(expected_confusion).copy()
    precision, recall, f1 = per_class_metrics(true_positives, support, predicted_totals)
    macro_f1, weighted_f1 = averaged_f1(f1, support)
    events = int(predicted.size)
    return MulticlassEstimate(
        classes=names,
        events=events,
        accuracy=float(true_positives.sum()) / events if events else None,
        macro_f1=macro_f1,
        weighted_f1=weighted_f1,
        per_class={
            name: ClassMetrics(
                precision[i],
                recall[i],
                f1[i],
                round(float(support[i])),
                round(float(predicted_totals[i])),
            )
            for i, name in enumerate(names)
        },
        expected_support={name: float(support[i]) for i, name in enumerate(names)},
        expected_confusion=tuple(
            tuple(float(value) for value in row) for row in expected_confusion
        ),
    )


__all__ = ["MulticlassCalibrator", "MulticlassEstimate", "estimate_multiclass"]
