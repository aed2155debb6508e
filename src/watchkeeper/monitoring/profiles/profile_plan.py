"""What a profile counts, fixed by the reference: bin edges per numeric feature, tracked
categories (and the vocabulary) per categorical feature.

Every window is profiled with the reference's plan, so its counts line up bin for bin with the
reference's and with every other window's: that is what makes profiles comparable and
mergeable. The plan of a reference profile is recovered with :meth:`DatasetProfile.plan`.

>>> import numpy as np
>>> quantile_edges(np.arange(100.0), bins=4)
(24.75, 49.5, 74.25)
>>> top_categories(["a", "b", "c"], np.array([1, 5, 5]), top_k=2)
('b', 'c')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FeatureKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class NumericBinning:
    """Inner bin edges of a numeric feature (the outer bins are open-ended)."""

    edges: tuple[float, ...]
    kind: FeatureKind = "numeric"


@dataclass(frozen=True)
class CategoricalBinning:
    """Tracked categories of a categorical feature, and the reference's full vocabulary."""

    categories: tuple[str, ...]
    vocabulary: tuple[str, ...] | None = None
    kind: FeatureKind = "categorical"


FeatureBinning = NumericBinning | CategoricalBinning


@dataclass(frozen=True)
class ProfilePlan:
    """The binning of every profiled feature, by feature name (in report order).

    >>> plan = ProfilePlan({"amount": NumericBinning((10.0, 50.0))})
    >>> plan.kinds()
    {'amount': 'numeric'}
    """

    features: Mapping[str, FeatureBinning]

    def kinds(self) -> dict[str, FeatureKind]:
        """Each feature's kind, numeric or categorical."""
        return {name: binning.kind for name, binning in self.features.items()}


def quantile_edges(ordered: NDArray[np.float64], bins: int) -> tuple[float, ...]:
    """Inner edges at the quantiles ``1/bins, ..., (bins-1)/bins`` of sorted finite values.

    Quantiles are interpolated linearly (numpy's default method); repeated edges (many equal
    values) collapse into one, so a feature with few distinct values gets fewer bins. No
    values, no edges: then everything falls into one bin.

    >>> quantile_edges(np.array([0.0, 0.0, 0.0, 1.0]), bins=4)
    (0.0, 0.25)
    >>> quantile_edges(np.array([]), bins=10)
    ()
    """
    if len(ordered) == 0:
        return ()
    positions = np.linspace(0.0, 1.0, bins + 1)[1:-1] * (len(ordered) - 1)
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, len(ordered) - 1)
    fraction = positions - lower
    values = ordered[lower] + fraction * (ordered[upper] - ordered[lower])
    return tuple(float(edge) for edge in np.unique(values[np.isfinite(values)]))


def top_categories(labels: Sequence[str], counts: NDArray[np.int64], top_k: int) -> tuple[str, ...]:
    """The ``top_k`` most frequent labels, most frequent first; ties go to the smaller label.

    Only labels at least as frequent as the ``top_k``-th are sorted, so a million distinct
    values cost one partition, not a sort.
    """
    counts = np.asarray(counts)
    if len(counts) > top_k:
        floor = np.partition(counts, len(counts) - top_k)[len(counts) - top_k]
        candidates = np.flatnonzero(counts >= floor)
    else:
        candidates = np.arange(len(counts))
    order = sorted(candidates.tolist(), key=lambda index: (-int(counts[index]), labels[index]))
    return tuple(labels[index] for index in order[:top_k] if counts[index] > 0)


__all__ = [
    "CategoricalBinning",
    "FeatureBinning",
    "FeatureKind",
    "NumericBinning",
    "ProfilePlan",
    "quantile_edges",
    "top_categories",
]
