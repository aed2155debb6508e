"""Realized performance of a window, from the labels known so far.

Only labelled rows (positive, or negative after the maturity horizon) count; pending rows
are left out, and ``coverage`` says how many that left. A window is marked ``mature`` only
when every label in it is final: before that, recall and the false-positive rate are
incomplete and must be read as provisional.

>>> frame = pl.DataFrame({"score": [0.9, 0.8, 0.3, 0.2, 0.1],
...                       "decision": [True, True, False, False, False],
...                       "label": [1, 0, 1, 0, None]})
>>> result = realized_performance(frame, mature=False)
>>> result.coverage, result.precision.value, result.recall.value, result.f1.value
(0.8, 0.5, 0.5, 0.5)
>>> result.flag_rate.value
0.4
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from watchkeeper.performance.intervals import Interval, auc_interval, wilson_interval


@dataclass(frozen=True)
class MetricValue:
    """A metric with its confidence interval; ``value`` is None when it cannot be computed."""

    value: float | None
    interval: Interval | None

    @classmethod
    def missing(cls) -> MetricValue:
        """The value of a metric that the data cannot give (no positives, say)."""
        return cls(None, None)


@dataclass(frozen=True)
class RealizedPerformance:
    """Performance of one window on its known labels."""

    events: int
    labelled: int
    coverage: float
    positives: int
    flagged: int
    precision: MetricValue
    recall: MetricValue
    false_positive_rate: MetricValue
    roc_auc: MetricValue
    pr_auc: MetricValue
    mature: bool
    f1: MetricValue
    flag_rate: MetricValue


def _rate(successes: int, trials: int, confidence: float) -> MetricValue:
    if trials == 0:
        return MetricValue.missing()
    return MetricValue(successes / trials, wilson_interval(successes, trials, confidence))


def average_precision_interval(
    average_precision: float, positives: int, confidence: float = 0.95
) -> Interval:
    """Logit interval of an average precision (Boyd, Eng and Page, 2013).

    >>> interval = average_precision_interval(0.8, positives=200)
    >>> round(interval.low, 3), round(interval.high, 3)
    (0.739, 0.85)
    >>> average_precision_interval(1e-9, positives=1).low  # no overflow
    0.0
    """
    if positives <= 0 or not 0 < average_precision < 1:
        return Interval(0.0, 1.0, confidence)
    from scipy.special import expit  # stable where exp would overflow (a tiny AP)
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    logit = math.log(average_precision / (1 - average_precision))
    spread = z / math.sqrt(positives * average_precision * (1 - average_precision))
    return Interval(float(expit(logit - spread)), float(expit(logit + spread)), confidence)


def f1_interval(
    true_positives: int, false_positives: int, false_negatives: int, confidence: float = 0.95
) -> Interval:
    """Interval of an F1 score, ``2TP / (2TP + FP + FN)``, from its confusion counts.

    F1 is a monotone function of the share ``J = TP / (TP + FP + FN)`` (the Jaccard index):
    ``F1 = 2J / (1 + J)``. The Wilson interval of ``J`` over the ``TP + FP + FN`` events
    that are flagged or positive, mapped through that function, is the interval. It stays
    within [0, 1], is sound for small counts, and its variance for large counts is the delta
    method's ``4 TP (FP + FN) (TP + FP + FN) / (2TP + FP + FN)^4``. With no such events
    nothing is known, and it is the whole of [0, 1].

    >>> interval = f1_interval(80, 20, 20)
    >>> round(interval.low, 3), round(interval.high, 3)
    (0.733, 0.854)
    """
    jaccard = wilson_interval(
        true_positives, true_positives + false_positives + false_negatives, confidence
    )
    return Interval(
        2 * jaccard.low / (1 + jaccard.low), 2 * jaccard.high / (1 + jaccard.high), confidence
    )


def _f1(
    true_positives: int, false_positives: int, false_negatives: int, confidence: float
) -> MetricValue:
    relevant = true_positives + false_positives + false_negatives
    if relevant == 0:
        return MetricValue.missing()
    return MetricValue(
        2 * true_positives / (2 * true_positives + false_positives + false_negatives),
        f1_interval(true_positives, false_positives, false_negatives, confidence),
    )


def realized_performance(
    frame: pl.DataFrame,
    *,
    mature: bool,
    score: str = "score",
    decision: str = "decision",
    label: str = "label",
    confidence: float = 0.95,
) -> RealizedPerformance:
    """Precision, recall, F1, false-positive rate, ROC AUC, PR AUC (average precision) and
    flag rate.

    ``frame`` holds one row per event with its score, its decision (True = flagged) and its
    label (1, 0 or null for pending). Proportions carry Wilson intervals, F1 the interval of
    :func:`f1_interval`, ROC AUC a Hanley & McNeil interval, PR AUC a logit interval. The
    flag rate is the share of *all* events flagged, labelled or not.
    """
    events = frame.height
    known = frame.filter(pl.col(label).is_not_null())
    labels = known[label].cast(pl.Int8).to_numpy()
    flags = known[decision].cast(pl.Boolean).to_numpy()
    scores = known[score].cast(pl.Float64).to_numpy()
    positives = int(labels.sum())
    negatives = int(labels.size - positives)
    true_positives = int(np.sum(flags & (labels == 1)))
    false_positives = int(np.sum(flags & (labels == 0)))
    flagged = int(frame[decision].cast(pl.Boolean).sum())

    roc_auc = pr_auc = MetricValue.missing()
    if positives and negatives:
        from sklearn.metrics import average_precision_score, roc_auc_score

        roc = float(roc_auc_score(labels, scores))
        roc_auc = MetricValue(roc, auc_interval(roc, positives, negatives, confidence))
        average = float(average_precision_score(labels, scores))
        pr_auc = MetricValue(average, average_precision_interval(average, positives, confidence))
    return RealizedPerformance(
        events=events,
        labelled=known.height,
        coverage=known.height / events if events else 0.0,
        positives=positives,
        flagged=flagged,
        precision=_rate(true_positives, true_positives + false_positives, confidence),
        recall=_rate(true_positives, positives, confidence),
        false_positive_rate=_rate(false_positives, negatives, confidence),
        roc_auc=roc_auc,
        pr_auc=pr_auc,
        mature=mature,
        f1=_f1(true_positives, false_positives, positives - true_positives, confidence),
        flag_rate=_rate(flagged, events, confidence),
    )


__all__ = [
    "MetricValue",
    "RealizedPerformance",
    "average_precision_interval",
    "f1_interval",
    "realized_performance",
]
