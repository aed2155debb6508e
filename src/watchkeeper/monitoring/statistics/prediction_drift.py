"""Prediction drift: the score distribution and the flag rate against the training baseline.

"A simple chart comparing weekly prediction distributions to the training baseline would have
caught this in week two." The score is profiled like any numeric feature (bins on the holdout's
score deciles, a KLL sketch), so its drift is PSI & co. from :func:`feature_drift`, and weekly
score histograms are merges of daily profiles. The **flag rate** (share of scores at or above
the model's threshold) is compared with the baseline's by a two-proportion z-test, with a
confidence interval of the difference; as for features, the verdict comes from the effect size
(the ratio of the two rates), not from the p-value.

>>> result = flag_rate_drift(baseline_flags=100, baseline_total=10_000, flags=260, total=10_000)
>>> round(result.rate_ratio, 2), result.verdict, result.pvalue < 1e-10
(2.6, 'alert', True)
>>> [round(bound, 4) for bound in (result.difference_low, result.difference_high)]
[0.0123, 0.0197]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

from watchkeeper.config.lifecycle import DriftThresholds
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.statistics.drift import FeatureDrift, Verdict, feature_drift, verdict_of

DEFAULT_FLAG_RATE_RATIO = DriftThresholds(warn=1.5, alert=2.0)
"""How far the flag rate may move, as a ratio either way (1.5: up by half or down by a third)."""


@dataclass(frozen=True)
class FlagRateDrift:
    """The flag rate now against the baseline, with a two-proportion test and an interval."""

    baseline_rate: float
    rate: float
    difference: float
    difference_low: float
    difference_high: float
    confidence: float
    z_statistic: float
    pvalue: float
    rate_ratio: float
    threshold: float
    warn_threshold: float
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (an infinite ratio, from a zero baseline, becomes None)."""
        data = asdict(self)
        if math.isinf(self.rate_ratio):
            data["rate_ratio"] = None
        return data


def score_drift(
    reference_scores: NumericProfile,
    current_scores: NumericProfile,
    thresholds: DriftThresholds | None = None,
) -> FeatureDrift:
    """Drift of the score distribution (PSI verdict, like any numeric feature).

    >>> import numpy as np
    >>> holdout = NumericProfile.from_values(np.linspace(0, 1, 1000), edges=(0.25, 0.5, 0.75))
    >>> week = NumericProfile.from_values(np.linspace(0, 1, 1000) ** 2, edges=(0.25, 0.5, 0.75))
    >>> score_drift(holdout, week).verdict
    'alert'
    """
    return feature_drift("score", reference_scores, current_scores, thresholds)


def flag_rate_drift(
    baseline_flags: int,
    baseline_total: int,
    flags: int,
    total: int,
    confidence: float = 0.95,
    ratio_thresholds: DriftThresholds = DEFAULT_FLAG_RATE_RATIO,
) -> FlagRateDrift:
    """Compare a window's flag rate with the baseline's.

    The z statistic uses the pooled rate (the test of equal rates: its square is the 2 x 2
    chi-square statistic); the interval of the difference ``rate - baseline_rate`` uses the
    unpooled (Wald) standard error. The verdict compares ``max(ratio, 1 / ratio)`` of the two
    rates with ``ratio_thresholds``.
    """
    if baseline_total <= 0 or total <= 0:
        raise ValueError("both windows need at least one prediction")
    if not (0 <= baseline_flags <= baseline_total and 0 <= flags <= total):
        raise ValueError("flags must be between 0 and the number of predictions")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    baseline_rate, rate = baseline_flags / baseline_total, flags / total
    difference = rate - baseline_rate
    pooled = (baseline_flags + flags) / (baseline_total + total)
    pooled_error = math.sqrt(pooled * (1 - pooled) * (1 / baseline_total + 1 / total))
    z = difference / pooled_error if pooled_error > 0 else 0.0
    pvalue = math.erfc(abs(z) / math.sqrt(2))
    critical = NormalDist().inv_cdf(0.5 + confidence / 2)
    error = math.sqrt(
        baseline_rate * (1 - baseline_rate) / baseline_total + rate * (1 - rate) / total
    )
    ratio = _ratio(rate, baseline_rate)
    effect = max(ratio, 1 / ratio) if ratio > 0 else math.inf
    return FlagRateDrift(
        baseline_rate=baseline_rate,
        rate=rate,
        difference=difference,
        difference_low=difference - critical * error,
        difference_high=difference + critical * error,
        confidence=confidence,
        z_statistic=z,
        pvalue=pvalue,
        rate_ratio=ratio,
        threshold=ratio_thresholds.alert,
        warn_threshold=ratio_thresholds.warn,
        verdict=verdict_of(effect, ratio_thresholds),
    )


def _ratio(rate: float, baseline_rate: float) -> float:
    if baseline_rate > 0:
        return rate / baseline_rate
    return 1.0 if rate == 0 else math.inf


__all__ = [
    "DEFAULT_FLAG_RATE_RATIO",
    "FlagRateDrift",
    "flag_rate_drift",
    "score_drift",
]
