"""Per-feature drift of a current profile against the reference profile, with a verdict.

Every statistic that applies is reported; the **verdict comes from an effect size**, PSI, never
from a p-value: with millions of rows any negligible difference is "significant", so identical
distributions would alert. PSI is computed over the reference's bins plus the missing bin (a
numeric feature) or over the tracked categories plus ``other`` and ``missing`` (a categorical
one), so a surge of missing values is drift too. Its levels follow one of two rules
(``verdict_rule`` on each result): ``fixed``, warn at 0.1 and alert at 0.25 whatever the
sample size; or ``calibrated``, each feature's levels from its reference's own chunk-to-chunk
noise at the window's size (:mod:`~watchkeeper.monitoring.statistics.drift_calibration`), where a
reference frame is at hand (``watchkeeper drift``, :class:`~watchkeeper.Reference`). An
explicit per-feature level (``monitoring.per_feature`` in the workspace file) wins over both.

=========  ===================================  ==========================================
feature    statistics                           notes
=========  ===================================  ==========================================
numeric    PSI, JS distance, KS (+ p-value),    KS and Wasserstein from the KLL sketches;
           Wasserstein / reference std          the KS p-value is conservative (see below)
categorical PSI, JS distance, chi-square p      chi-square over categories, other, missing
=========  ===================================  ==========================================

Given the reference's exact comparison of a numeric feature
(:class:`~watchkeeper.monitoring.statistics.reference_grid.ExactComparison`, as ``watchkeeper drift``
computes it), KS, its p-value and Wasserstein are exact. From two profiles alone (the
monitor's windows) they come from the KLL sketches, and the KS p-value is computed from
``max(0, D - e)``, where ``e`` is the sum of the two sketches' rank errors while they are
approximate (0 while exact): sketch noise alone cannot then produce a tiny p-value, and the
reported p-value is, with 99% confidence, no smaller than the exact test's.

>>> import numpy as np
>>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
>>> reference = NumericProfile.from_values(np.arange(1000.0), edges=(250.0, 500.0, 750.0))
>>> shifted = NumericProfile.from_values(np.arange(400.0, 1400.0), edges=(250.0, 500.0, 750.0))
>>> drift = feature_drift("amount", reference, shifted)
>>> drift.verdict, round(drift.psi, 2), drift.chi2_pvalue is None
('alert', 2.07, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from watchkeeper.config.lifecycle import DriftThresholds
from watchkeeper.errors import SchemaError
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile, FeatureProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.statistics.drift_statistics import (
    chi_square_test,
    jensen_shannon_distance,
    kolmogorov_smirnov_pvalue,
    population_stability_index,
)
from watchkeeper.monitoring.statistics.reference_grid import ExactComparison
from watchkeeper.monitoring.statistics.sketch_statistics import rank_error, sketch_distances

if TYPE_CHECKING:
    from watchkeeper.monitoring.statistics.drift_calibration import DriftCalibration

Verdict = Literal["ok", "warn", "alert"]
VerdictRule = Literal["fixed", "calibrated"]
VERDICT_ORDER: dict[str, int] = {"ok": 0, "warn": 1, "alert": 2}


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift statistics (None where one does not apply) and its verdict.

    ``threshold`` is the alert level of the verdict's method; ``warn_threshold`` the warn level;
    ``verdict_rule`` how they were set (``fixed`` or ``calibrated``).
    """

    feature: str
    type: Literal["numeric", "categorical"]
    method: str
    psi: float | None
    js_distance: float | None
    ks_statistic: float | None
    ks_pvalue: float | None
    wasserstein: float | None
    chi2_pvalue: float | None
    threshold: float
    warn_threshold: float
    verdict: Verdict
    verdict_rule: VerdictRule = "fixed"

    def to_dict(self) -> dict[str, Any]:
        """The public JSON entry: every field.

        >>> sorted(feature_drift("x", *[CategoricalProfile(("a",), (1,), 0, 0, 0)] * 2).to_dict())[:4]
        ['chi2_pvalue', 'feature', 'js_distance', 'ks_pvalue']
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], warn: float | None = None) -> FeatureDrift:
        """Rebuild a result from :meth:`to_dict`'s output; ``warn``: its warn level, for
        output older than the ``warn_threshold`` field (else the alert level).

        >>> item = feature_drift("x", *[CategoricalProfile(("a",), (1,), 0, 0, 0)] * 2)
        >>> FeatureDrift.from_dict(item.to_dict()) == item
        True
        """
        fields = dict(data)
        if "warn_threshold" not in fields:
            fields["warn_threshold"] = fields["threshold"] if warn is None else warn
        return cls(**fields)


def drift_verdict(psi: float | None, levels: DriftThresholds) -> Verdict:
    """A feature's verdict: its PSI against the warn and alert levels. The one place the
    rule lives, so that a calibrated rule can replace it.

    >>> drift_verdict(0.3, DriftThresholds()), drift_verdict(None, DriftThresholds())
    ('alert', 'ok')
    """
    return verdict_of(psi, levels)


def verdict_of(value: float | None, thresholds: DriftThresholds) -> Verdict:
    """``alert`` at or above the alert level, ``warn`` at or above the warn level, else ``ok``.

    >>> verdict_of(0.12, DriftThresholds()), verdict_of(0.3, DriftThresholds()), verdict_of(None, DriftThresholds())
    ('warn', 'alert', 'ok')
    """
    if value is None:
        return "ok"
    if value >= thresholds.alert:
        return "alert"
    if value >= thresholds.warn:
        return "warn"
    return "ok"


def feature_drift(
    name: str,
    reference: FeatureProfile,
    current: FeatureProfile,
    thresholds: DriftThresholds | None = None,
    exact: ExactComparison | None = None,
    calibration: DriftCalibration | None = None,
) -> FeatureDrift:
    """Compare one feature's current profile with its reference profile (a numeric one's KS
    and Wasserstein from ``exact`` when given, else from the sketches), judged by the
    ``calibration``'s levels at the current profile's size when given (the reference's noise
    widening them up to ``thresholds`` at most), else by ``thresholds``.
    """
    levels = thresholds or DriftThresholds()
    if calibration is not None:
        levels = calibration.levels(current.rows, ceiling=levels)
    if isinstance(reference, NumericProfile) and isinstance(current, NumericProfile):
        result = _numeric_drift(name, reference, current, levels, exact)
    elif isinstance(reference, CategoricalProfile) and isinstance(current, CategoricalProfile):
        result = _categorical_drift(name, reference, current, levels)
    else:
        raise SchemaError(
            f"{name}: a {reference.kind} reference cannot be compared with {current.kind}"
        )
    return result if calibration is None else replace(result, verdict_rule="calibrated")


def explicit_levels(levels: DriftThresholds | None) -> bool:
    """Whether a per-feature entry sets a level itself (not only ``min_window``): such a
    level wins over the calibration.

    >>> explicit_levels(DriftThresholds(alert=0.5)), explicit_levels(DriftThresholds(min_window="7d"))
    (True, False)
    """
    return levels is not None and bool({"warn", "alert"} & levels.model_fields_set)


def compute_drift(
    reference: DatasetProfile,
    current: DatasetProfile,
    thresholds: DriftThresholds | None = None,
    per_feature: Mapping[str, DriftThresholds] | None = None,
    exact: Mapping[str, ExactComparison | None] | None = None,
    calibration: Mapping[str, DriftCalibration] | None = None,
) -> list[FeatureDrift]:
    """Drift of every reference feature, in the reference's order: judged by its
    ``calibration`` where given (the calibrated rule) unless ``per_feature`` sets its levels,
    else by its ``per_feature`` levels or ``thresholds``.

    >>> import numpy as np
    >>> day = DatasetProfile({"x": NumericProfile.from_values(np.arange(100.0), (50.0,))}, rows=100)
    >>> [(item.feature, item.verdict) for item in compute_drift(day, day)]
    [('x', 'ok')]
    """
    overrides = per_feature or {}
    comparisons = exact or {}
    calibrated = calibration or {}
    results = []
    for name, reference_profile in reference.features.items():
        if name not in current.features:
            raise SchemaError(f"the current profile has no feature {name!r}")
        levels = overrides.get(name, thresholds)
        own = None if explicit_levels(overrides.get(name)) else calibrated.get(name)
        results.append(
            feature_drift(
                name, reference_profile, current.features[name], levels, comparisons.get(name), own
            )
        )
    return results


def _numeric_drift(
    name: str,
    reference: NumericProfile,
    current: NumericProfile,
    levels: DriftThresholds,
    exact: ExactComparison | None,
) -> FeatureDrift:
    reference_cells = (*reference.counts, reference.missing)
    current_cells = (*current.counts, current.missing)
    comparable = reference.rows > 0 and current.rows > 0
    psi = population_stability_index(reference_cells, current_cells) if comparable else None
    js = jensen_shannon_distance(reference_cells, current_cells) if comparable else None
    ks_statistic = ks_pvalue = wasserstein = None
    if exact is not None:
        ks_statistic, ks_pvalue = exact.ks_statistic, exact.ks_pvalue
        spread = reference.standard_deviation
        wasserstein = exact.wasserstein / spread if spread else None
    elif reference.count and current.count:
        first, second = reference.quantile_sketch(), current.quantile_sketch()
        ks_statistic, distance = sketch_distances(first, second)
        slack = rank_error(first) + rank_error(second)
        ks_pvalue = kolmogorov_smirnov_pvalue(
            max(0.0, ks_statistic - slack), reference.count, current.count
        )
        spread = reference.standard_deviation
        if spread:
            wasserstein = distance / spread
    return FeatureDrift(
        name, "numeric", "psi", psi, js, ks_statistic, ks_pvalue, wasserstein, None,
        levels.alert, levels.warn, drift_verdict(psi, levels),
    )  # fmt: skip


def _categorical_drift(
    name: str, reference: CategoricalProfile, current: CategoricalProfile, levels: DriftThresholds
) -> FeatureDrift:
    if reference.categories != current.categories:
        raise SchemaError(
            f"{name}: the current profile tracks other categories than the reference; "
            "profile windows with the reference's plan"
        )
    comparable = reference.rows > 0 and current.rows > 0
    psi = population_stability_index(reference.cells, current.cells) if comparable else None
    js = jensen_shannon_distance(reference.cells, current.cells) if comparable else None
    chi2 = chi_square_test(reference.cells, current.cells).pvalue if comparable else None
    return FeatureDrift(
        name, "categorical", "psi", psi, js, None, None, None, chi2,
        levels.alert, levels.warn, drift_verdict(psi, levels),
    )  # fmt: skip


__all__ = [
    "VERDICT_ORDER",
    "FeatureDrift",
    "Verdict",
    "VerdictRule",
    "compute_drift",
    "drift_verdict",
    "explicit_levels",
    "feature_drift",
    "verdict_of",
]
