"""Confidence intervals for the rates and areas that monitoring reports.

>>> interval = wilson_interval(45, 50)
>>> round(interval.low, 3), round(interval.high, 3)
(0.786, 0.957)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval around an estimate."""

    low: float
    high: float
    confidence: float


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence} must lie strictly between 0 and 1")
    return float(norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval of a proportion; sound for small counts and rates near 0 or 1.

    With no trials nothing is known, and the interval is the whole of [0, 1].

    >>> wilson_interval(0, 0)
    Interval(low=0.0, high=1.0, confidence=0.95)
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes ({successes}) <= trials ({trials})")
    if trials == 0:
        return Interval(0.0, 1.0, confidence)
    z = _z(confidence)
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    spread = (
        z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    )
    return Interval(max(0.0, centre - spread), min(1.0, centre + spread), confidence)


def auc_interval(auc: float, positives: int, negatives: int, confidence: float = 0.95) -> Interval:
    """Hanley & McNeil (1982) normal interval of a ROC AUC from the class counts.

    >>> interval = auc_interval(0.9, positives=100, negatives=1000)
    >>> round(interval.low, 3), round(interval.high, 3)
    (0.859, 0.941)
    """
    if positives <= 0 or negatives <= 0 or math.isnan(auc):
        return Interval(0.0, 1.0, confidence)
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    spread = _z(confidence) * math.sqrt(max(variance, 0.0))
    return Interval(max(0.0, auc - spread), min(1.0, auc + spread), confidence)


__all__ = ["Interval", "auc_interval", "wilson_interval"]
