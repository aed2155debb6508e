"""The drift report: a serialisable snapshot of drift, data quality and the distributions.

Its JSON is the public document of ``watchkeeper drift --json``::

    {"features": [{"feature", "type", "method", "psi", "js_distance", "ks_statistic",
                   "ks_pvalue", "wasserstein", "chi2_pvalue", "threshold", "warn_threshold",
                   "verdict", "verdict_rule"}, ...],
     "multivariate": {"method": "domain_classifier", "roc_auc", ...} | null,
     "verdict", "verdict_rule", "reference_rows", "current_rows", "quality",
     "distributions", "warn_thresholds", "skipped", "excluded", "notes",
     "chunks": [{"chunk", "start", "end", "rows", "features": [{...}, ...]}, ...]}

with null wherever a statistic does not apply. ``features`` and ``verdict`` are the whole
current data's; ``chunks`` (empty unless asked for) each chunk's. Each feature's ``threshold``
and ``warn_threshold`` are the alert and warn levels it was judged by, and ``verdict_rule``
how they were set: ``calibrated`` (from the reference's own noise at that size, so a chunk's
levels differ from the whole's) or ``fixed``. Rendering (table, HTML) lives elsewhere.

>>> import numpy as np
>>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
>>> profile = DatasetProfile({"x": NumericProfile.from_values(np.arange(10.0), (5.0,))}, rows=10)
>>> report = build_drift_report(profile, profile)
>>> report.verdict, report.features[0].psi
('ok', 0.0)
>>> DriftReport.from_dict(report.to_dict()) == report
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from itertools import pairwise
from typing import Any

from watchkeeper.config.lifecycle import MonitoringConfig
from watchkeeper.monitoring.comparison.chunk_drift import ChunkDrift
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile, FeatureProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.statistics.domain_classifier import MultivariateDrift
from watchkeeper.monitoring.statistics.drift import (
    VERDICT_ORDER,
    FeatureDrift,
    Verdict,
    compute_drift,
)
from watchkeeper.monitoring.statistics.drift_calibration import DriftCalibration
from watchkeeper.monitoring.statistics.drift_statistics import shares
from watchkeeper.monitoring.statistics.quality import (
    QualityReport,
    Range,
    RangeShares,
    data_quality,
)
from watchkeeper.monitoring.statistics.reference_grid import ExactComparison


@dataclass(frozen=True)
class FeatureDistribution:
    """One feature's share per bin (or category) in the reference and in the current data."""

    feature: str
    labels: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]


@dataclass(frozen=True)
class DriftReport:
    """Per-feature drift, the multivariate check, data quality and the distributions compared."""

    features: tuple[FeatureDrift, ...]
    reference_rows: int
    current_rows: int
    multivariate: MultivariateDrift | None = None
    quality: QualityReport | None = None
    distributions: tuple[FeatureDistribution, ...] = ()
    skipped: Mapping[str, str] = field(default_factory=dict)
    excluded: Mapping[str, str] = field(default_factory=dict)
    """Columns left out for their role (identifier, timestamp, ...), with the reason."""
    notes: Mapping[str, str] = field(default_factory=dict)
    """What a feature's statistics leave out (a categorical's rarer values, say)."""
    chunks: tuple[ChunkDrift, ...] = ()

    @property
    def verdict(self) -> Verdict:
        """The worst verdict of all features and of the multivariate check."""
        verdicts: list[Verdict] = [feature.verdict for feature in self.features]
        if self.multivariate is not None:
            verdicts.append(self.multivariate.verdict)
        return max(verdicts, key=VERDICT_ORDER.__getitem__, default="ok")

    @property
    def verdict_rule(self) -> str:
        """How the features' levels were set: ``calibrated``, ``fixed``, or ``mixed`` (a
        per-feature level overriding the calibration).

        >>> DriftReport((), 0, 0).verdict_rule
        'fixed'
        """
        rules = {feature.verdict_rule for feature in self.features}
        return rules.pop() if len(rules) == 1 else "mixed" if rules else "fixed"

    @property
    def worst_verdict(self) -> Verdict:
        """The worst verdict anywhere: the whole data's and every chunk's."""
        verdicts = [self.verdict, *(chunk.verdict for chunk in self.chunks)]
        return max(verdicts, key=VERDICT_ORDER.__getitem__)

    def with_context(
        self,
        excluded: Mapping[str, str],
        notes: Mapping[str, str],
        chunks: tuple[ChunkDrift, ...] = (),
    ) -> DriftReport:
        """This report with the excluded columns, notes and chunks added."""
        return replace(self, excluded=dict(excluded), notes=dict(notes), chunks=chunks)

    def to_dict(self) -> dict[str, Any]:
        """The report as the public JSON document (plain values only)."""
        return {
            "features": [feature.to_dict() for feature in self.features],
            "multivariate": None if self.multivariate is None else self.multivariate.to_dict(),
            "verdict": self.verdict,
            "verdict_rule": self.verdict_rule,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "quality": None if self.quality is None else self.quality.to_dict(),
            "distributions": [asdict(item) for item in self.distributions],
            "warn_thresholds": {item.feature: item.warn_threshold for item in self.features},
            "skipped": dict(self.skipped),
            "excluded": dict(self.excluded),
            "notes": dict(self.notes),
            "chunks": [chunk.to_dict() for chunk in self.chunks],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReport:
        """Rebuild a report from :meth:`to_dict`'s output."""
        warn = data.get("warn_thresholds", {})
        features = tuple(
            FeatureDrift.from_dict(item, warn.get(item["feature"])) for item in data["features"]
        )
        multivariate = data.get("multivariate")
        quality = data.get("quality")
        return cls(
            features=features,
            reference_rows=int(data["reference_rows"]),
            current_rows=int(data["current_rows"]),
            multivariate=None if multivariate is None else MultivariateDrift(**multivariate),
            quality=None if quality is None else QualityReport.from_dict(quality),
            distributions=tuple(
                FeatureDistribution(
                    item["feature"],
                    tuple(item["labels"]),
                    tuple(item["reference"]),
                    tuple(item["current"]),
                )
                for item in data.get("distributions", [])
            ),
            skipped=dict(data.get("skipped", {})),
            excluded=dict(data.get("excluded", {})),
            notes=dict(data.get("notes", {})),
            chunks=tuple(ChunkDrift.from_dict(item, warn) for item in data.get("chunks", [])),
        )


def build_drift_report(
    reference: DatasetProfile,
    current: DatasetProfile,
    config: MonitoringConfig | None = None,
    ranges: Mapping[str, Range] | None = None,
    rejected: Mapping[str, int] | None = None,
    multivariate: MultivariateDrift | None = None,
    skipped: Mapping[str, str] | None = None,
    exact: Mapping[str, ExactComparison | None] | None = None,
    shares: Mapping[str, RangeShares] | None = None,
    calibration: Mapping[str, DriftCalibration] | None = None,
) -> DriftReport:
    """Drift, quality and distributions of ``current`` against ``reference`` (numeric
    comparisons, range shares and calibrated levels from ``exact``, ``shares`` and
    ``calibration`` where given)."""
    settings = config or MonitoringConfig()
    features = compute_drift(
        reference, current, settings.psi, settings.per_feature, exact, calibration
    )
    return DriftReport(
        features=tuple(features),
        reference_rows=reference.rows,
        current_rows=current.rows,
        multivariate=multivariate,
        quality=data_quality(reference, current, ranges, rejected, shares),
        distributions=tuple(
            feature_distribution(name, profile, current.features[name])
            for name, profile in reference.features.items()
        ),
        skipped=dict(skipped or {}),
    )


def feature_distribution(
    name: str, reference: FeatureProfile, current: FeatureProfile
) -> FeatureDistribution:
    """Shares per bin (numeric) or per category (categorical), missing values last.

    >>> import numpy as np
    >>> profile = NumericProfile.from_values(np.array([1.0, 3.0, np.nan, 4.0]), (2.0,))
    >>> feature_distribution("x", profile, profile).labels
    ('< 2', '≥ 2', '(missing)')
    """
    if isinstance(reference, NumericProfile) and isinstance(current, NumericProfile):
        labels = bin_labels(reference.edges)
        reference_cells: tuple[int, ...] = (*reference.counts, reference.missing)
        current_cells: tuple[int, ...] = (*current.counts, current.missing)
    elif not isinstance(reference, NumericProfile) and not isinstance(current, NumericProfile):
        labels = reference.cell_labels
        reference_cells, current_cells = reference.cells, current.cells
    else:
        raise ValueError(f"{name}: profiles of different kinds")
    return FeatureDistribution(
        name, labels, _shares_or_zero(reference_cells), _shares_or_zero(current_cells)
    )


def bin_labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    """Readable labels of the bins of ``edges``, then the missing bin.

    >>> bin_labels((1.0, 2.5))
    ('< 1', '[1, 2.5)', '≥ 2.5', '(missing)')
    >>> bin_labels(())
    ('all values', '(missing)')
    """
    if not edges:
        return ("all values", "(missing)")
    texts = [f"{edge:.4g}" for edge in edges]
    middle = [f"[{low}, {high})" for low, high in pairwise(texts)]
    return (f"< {texts[0]}", *middle, f"≥ {texts[-1]}", "(missing)")


def _shares_or_zero(cells: tuple[int, ...]) -> tuple[float, ...]:
    if sum(cells) == 0:
        return (0.0,) * len(cells)
    return tuple(float(value) for value in shares(cells))


__all__ = [
    "DriftReport",
    "FeatureDistribution",
    "bin_labels",
    "build_drift_report",
    "feature_distribution",
]
