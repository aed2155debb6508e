"""A reference built once, and any current data compared with it: frames, batches or chunks.

:func:`build_baseline` reads a reference frame once: its profile fixes the bins and the
tracked categories, and each numeric feature keeps its exact grid
(:class:`~watchkeeper.monitoring.statistics.reference_grid.ReferenceGrid`), so KS, its p-value and
Wasserstein are exact against it. :class:`CurrentComparison` streams current batches through
it (memory bounded by the reference, not the current), and :func:`compare_frame` compares a
frame held in memory in one call. Both give a :class:`FrameComparison`, whose per-feature
drift uses the baseline's verdict rule: by default each feature's levels calibrated on the
reference's own chunks (:mod:`~watchkeeper.monitoring.statistics.drift_calibration`), else fixed levels.

>>> import numpy as np, pyarrow as pa
>>> rng = np.random.default_rng(0)
>>> reference = pa.table({"x": rng.normal(size=2_000), "c": rng.choice(["a", "b"], 2_000)})
>>> baseline = build_baseline(reference, {"x": "numeric", "c": "categorical"})
>>> itself = compare_frame(baseline, reference)
>>> [(item.feature, item.ks_statistic, item.ks_pvalue, item.wasserstein) for item in itself.drift()][:1]
[('x', 0.0, 1.0, 0.0)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from watchkeeper.config.lifecycle import MonitoringConfig
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.profile_builder import (
    DEFAULT_THREADS,
    Batch,
    ProfileBuilder,
    as_arrow_table,
    build_reference,
    map_columns,
)
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind, ProfilePlan
from watchkeeper.monitoring.statistics.drift import FeatureDrift, VerdictRule, compute_drift
from watchkeeper.monitoring.statistics.drift_calibration import (
    DriftCalibration,
    calibrate_reference,
)
from watchkeeper.monitoring.statistics.quality import Range, RangeShares
from watchkeeper.monitoring.statistics.reference_grid import (
    ExactComparison,
    NumericComparison,
    ReferenceGrid,
)


@dataclass(frozen=True, eq=False)
class Baseline:
    """A reference's profile, its exact numeric grids, the settings to judge drift by, and
    (for the calibrated verdict rule) each feature's PSI noise measured on its chunks."""

    profile: DatasetProfile
    grids: Mapping[str, ReferenceGrid]
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    ranges: Mapping[str, Range] = field(default_factory=dict)
    calibration: Mapping[str, DriftCalibration] = field(default_factory=dict)

    @property
    def verdict_rule(self) -> VerdictRule:
        """``calibrated`` when the settings ask for it and the calibration is at hand."""
        calibrated = self.monitoring.drift_verdict == "calibrated" and bool(self.calibration)
        return "calibrated" if calibrated else "fixed"

    @property
    def judged_calibration(self) -> Mapping[str, DriftCalibration]:
        """The calibration the verdicts use: none under the fixed rule."""
        return self.calibration if self.verdict_rule == "calibrated" else {}

    @property
    def plan(self) -> ProfilePlan:
        """The bins and tracked categories every current profile uses."""
        return self.profile.plan()

    @property
    def features(self) -> list[str]:
        """The compared features, in the reference's order."""
        return list(self.profile.features)


def build_baseline(
    data: Batch,
    kinds: Mapping[str, FeatureKind],
    monitoring: MonitoringConfig | None = None,
    ranges: Mapping[str, Range] | None = None,
    threads: int = DEFAULT_THREADS,
    *,
    sketches: bool = True,
) -> Baseline:
    """Profile a reference frame once (each numeric column sorted once for edges, profile
    and grid), and calibrate its features' drift levels when the settings ask for it.
    ``sketches=False`` leaves the numeric profiles' quantile sketches empty: drift never
    reads them (its KS and Wasserstein are exact against the grids), a reader of the profile
    may.

    >>> import numpy as np, pyarrow as pa
    >>> reference = pa.table({"x": np.arange(100.0)})
    >>> build_baseline(reference, {"x": "numeric"}, sketches=False).profile.features["x"].quantile_sketch().is_empty()
    True
    """
    settings = monitoring or MonitoringConfig()
    profile, grids = build_reference(
        data, kinds, settings.bins, settings.top_k, settings.sketch_k, threads, sketches=sketches
    )
    baseline = Baseline(profile, grids, settings, dict(ranges or {}))
    if settings.drift_verdict == "calibrated":
        return with_calibration(baseline, data, threads)
    return baseline


def with_calibration(baseline: Baseline, data: Batch, threads: int = DEFAULT_THREADS) -> Baseline:
    """``baseline`` with its features' drift levels calibrated on its reference ``data`` (the
    rows it was built from, in their order)."""
    table = as_arrow_table(data)
    calibration = calibrate_reference(
        table, baseline.profile, baseline.monitoring.calibration_chunks, threads
    )
    return replace(baseline, calibration=calibration)


@dataclass(frozen=True)
class FrameComparison:
    """Current data against a baseline: its profile, the exact numeric comparisons, and the
    exact shares of values outside the ranges."""

    baseline: Baseline
    profile: DatasetProfile
    exact: Mapping[str, ExactComparison | None]
    shares: Mapping[str, RangeShares]

    @property
    def rows(self) -> int:
        """Rows compared."""
        return self.profile.rows

    def drift(self) -> list[FeatureDrift]:
        """Each feature's drift and verdict, by the baseline's thresholds."""
        settings = self.baseline.monitoring
        return compute_drift(
            self.baseline.profile,
            self.profile,
            settings.psi,
            settings.per_feature,
            self.exact,
            self.baseline.judged_calibration,
        )


class CurrentComparison:
    """Streams current batches against a baseline: ``update`` each batch; if
    :attr:`needs_second_look`, ``update_second_look`` each batch again; then ``result``.

    With ``keep_values`` the numeric values are kept from the first look (8 bytes a value),
    and no second look is ever needed. ``sketches=False``: the current profile's numeric
    features get no quantile sketch (for a chunk: its KS and Wasserstein are exact anyway).
    """

    def __init__(
        self,
        baseline: Baseline,
        threads: int = DEFAULT_THREADS,
        keep_values: bool = False,
        sketches: bool = True,
    ) -> None:
        self.baseline = baseline
        self.threads = threads
        self._builder = ProfileBuilder(
            baseline.plan,
            baseline.monitoring.sketch_k,
            threads=threads,
            grids=baseline.grids,
            bounds=baseline.ranges,
            keep_values=keep_values,
            sketches=sketches,
        )

    def update(self, batch: Batch, *, last: bool = False) -> CurrentComparison:
        """Add one batch (first look); ``last``: no batch follows (with ``keep_values``, each
        column is compared at once and its values let go)."""
        self._builder.update(batch, last=last)
        return self

    @property
    def needs_second_look(self) -> bool:
        """Whether an exact Wasserstein distance needs the batches once more."""
        return bool(self._builder.crossing_features)

    @property
    def second_look_features(self) -> list[str]:
        """The columns the second look needs."""
        return self._builder.crossing_features

    def update_second_look(self, batch: Batch) -> CurrentComparison:
        """Give one batch again (second look), in any order."""
        self._builder.update_crossing(batch)
        return self

    def update_chunk(self, batch: Batch, *, last: bool = False) -> FrameComparison:
        """:meth:`update` with a chunk, and the chunk's own comparison: each column is sorted
        once, for the chunk and for the whole (with ``keep_values``, the whole's sorted values
        are the chunks' merged)."""
        profile, comparisons = self._builder.update_batch(batch, last=last)
        return frame_comparison(self.baseline, profile, comparisons, self.threads)

    def result(self) -> FrameComparison:
        """The comparison of every batch added."""
        return frame_comparison(
            self.baseline, self._builder.profile(), self._builder.comparisons, self.threads
        )


def frame_comparison(
    baseline: Baseline,
    profile: DatasetProfile,
    comparisons: Mapping[str, NumericComparison],
    threads: int = DEFAULT_THREADS,
) -> FrameComparison:
    """The comparison of current data profiled as ``profile`` whose numeric features were
    compared exactly in ``comparisons`` (their results are made here, if not yet)."""
    names = list(comparisons)
    results = map_columns(lambda name: comparisons[name].result(), names, threads)
    return FrameComparison(
        baseline,
        profile,
        dict(zip(names, results, strict=True)),
        {
            name: RangeShares(item.outside_bounds_share, item.outside_reference_share)
            for name, item in comparisons.items()
        },
    )


def compare_frame(
    baseline: Baseline,
    data: Batch | Sequence[Batch],
    threads: int = DEFAULT_THREADS,
    *,
    sketches: bool = True,
) -> FrameComparison:
    """Compare a frame (or a list of batches) held in memory with a baseline (``sketches``:
    see :class:`CurrentComparison`)."""
    batches: Sequence[Batch] = data if isinstance(data, list | tuple) else [data]
    comparison = CurrentComparison(baseline, threads, keep_values=True, sketches=sketches)
    for index, batch in enumerate(batches):
        comparison.update(batch, last=index == len(batches) - 1)
    return comparison.result()


__all__ = [
    "Baseline",
    "CurrentComparison",
    "FrameComparison",
    "build_baseline",
    "compare_frame",
    "frame_comparison",
    "with_calibration",
]
