"""Drift statistics over binned counts: PSI, Jensen-Shannon distance, chi-square, KS p-value.

Pure functions of counts (or of a KS statistic and sample sizes): they never see raw rows, so
they work on profiles of any size and on merged windows alike. Each is checked against scipy
in ``tests/monitoring/test_drift_statistics.py``.

**PSI's small-count correction.** PSI is ``sum((q - p) * ln(q / p))`` over bins, with ``p`` the
reference's and ``q`` the current share of each bin. An empty bin on either side would make a
term infinite, so both distributions are smoothed by adding half an observation to every bin
(Jeffreys' prior, also known as the Krichevsky-Trofimov estimator) before taking shares::

    p_i = (reference_i + 0.5) / (reference_total + 0.5 * bins)

The correction shrinks as data grows: with a million rows it moves a share by less than 1e-6,
while an empty bin in a small window contributes a large but finite term instead of infinity.

>>> round(population_stability_index([50, 50], [50, 50]), 6)
0.0
>>> round(population_stability_index([90, 10], [10, 90]), 3)
3.412
>>> round(jensen_shannon_distance([1, 0], [0, 1]), 6)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from watchkeeper.monitoring.statistics.tail_probabilities import (
    SMALLEST_PLAIN_SIZE,
    chi_square_survival,
    kolmogorov_smirnov_survival,
)

PSI_SMOOTHING = 0.5
"""Pseudo-count added to every bin before PSI (Jeffreys / Krichevsky-Trofimov)."""

EXACT_KS_LIMIT = 10_000
"""scipy's ``ks_2samp`` computes exact p-values while both samples have at most this many values."""

Counts = Sequence[int] | NDArray[np.int64]


def shares(counts: Counts, smoothing: float = 0.0) -> NDArray[np.float64]:
    """Each bin's share of the total, after adding ``smoothing`` to every bin.

    >>> shares([3, 1]).tolist()
    [0.75, 0.25]
    >>> shares([1, 0], smoothing=0.5).tolist()
    [0.75, 0.25]
    """
    values = np.asarray(counts, dtype=np.float64) + smoothing
    total = values.sum()
    if total <= 0:
        raise ValueError("shares need at least one count")
    result: NDArray[np.float64] = values / total
    return result


def population_stability_index(
    reference_counts: Counts, current_counts: Counts, smoothing: float = PSI_SMOOTHING
) -> float:
    """PSI between two histograms on the same bins, with the small-count correction above.

    PSI is the symmetrised Kullback-Leibler divergence: ``KL(q || p) + KL(p || q)``.

    >>> round(population_stability_index([100, 0], [100, 0]), 6)
    0.0
    """
    _same_bins(reference_counts, current_counts)
    reference = shares(reference_counts, smoothing)
    current = shares(current_counts, smoothing)
    return float(np.sum((current - reference) * np.log(current / reference)))


def jensen_shannon_distance(reference_counts: Counts, current_counts: Counts) -> float:
    """Jensen-Shannon distance (base 2, so between 0 and 1) of two histograms; no smoothing
    is needed, empty bins are fine.

    >>> jensen_shannon_distance([5, 5], [5, 5])
    0.0
    """
    _same_bins(reference_counts, current_counts)
    reference = shares(reference_counts)
    current = shares(current_counts)
    middle = (reference + current) / 2
    divergence = (_kullback_leibler(reference, middle) + _kullback_leibler(current, middle)) / 2
    return math.sqrt(max(divergence, 0.0) / math.log(2))


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson's chi-square test of homogeneity on a 2 x cells table."""

    statistic: float
    degrees_of_freedom: int
    pvalue: float


def chi_square_test(reference_counts: Counts, current_counts: Counts) -> ChiSquareResult:
    """Chi-square test that both samples come from one categorical distribution.

    Cells empty on both sides are dropped (they carry no information and have no expected
    count); no continuity correction. The same as
    ``scipy.stats.chi2_contingency([reference, current], correction=False)``.

    >>> result = chi_square_test([30, 70], [50, 50])
    >>> round(result.statistic, 4), result.degrees_of_freedom, round(result.pvalue, 5)
    (8.3333, 1, 0.00389)
    """
    _same_bins(reference_counts, current_counts)
    table = np.array([reference_counts, current_counts], dtype=np.float64)
    table = table[:, table.sum(axis=0) > 0]
    row_totals = table.sum(axis=1, keepdims=True)
    if table.shape[1] < 2 or np.any(row_totals == 0):
        return ChiSquareResult(0.0, 0, 1.0)
    expected = row_totals * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    degrees = table.shape[1] - 1
    return ChiSquareResult(statistic, degrees, chi_square_survival(statistic, degrees))


def kolmogorov_smirnov_pvalue(statistic: float, reference_size: int, current_size: int) -> float:
    """Two-sided p-value of a two-sample KS statistic, as ``scipy.stats.ks_2samp`` gives it.

    The same choice as scipy's ``method="auto"``: while both samples have at most
    :data:`EXACT_KS_LIMIT` values the exact distribution (scipy's own computation, asked with
    two samples of the same sizes and the same statistic); beyond, the one-sample KS
    distribution at ``n = round(n1 * n2 / (n1 + n2))`` (``kstwo.sf``), in plain Python for
    ``n > 140`` (:func:`kolmogorov_smirnov_survival`), so large files never load scipy.stats.

    >>> round(kolmogorov_smirnov_pvalue(0.1, 20_000, 20_000), 12)
    0.0
    >>> kolmogorov_smirnov_pvalue(0.0, 10, 10)
    1.0
    """
    if reference_size <= 0 or current_size <= 0:
        raise ValueError("a KS p-value needs two non-empty samples")
    if statistic <= 0.0:
        return 1.0
    if max(reference_size, current_size) <= EXACT_KS_LIMIT:
        return _exact_pvalue(statistic, reference_size, current_size)
    effective = round(reference_size * current_size / (reference_size + current_size))
    if effective >= SMALLEST_PLAIN_SIZE:
        return kolmogorov_smirnov_survival(statistic, effective)
    from scipy.stats import kstwo

    return min(1.0, max(0.0, float(kstwo.sf(statistic, effective))))


def _exact_pvalue(statistic: float, first_size: int, second_size: int) -> float:
    """scipy's exact p-value: the statistic only takes the values ``|i / n1 - j / n2|``, and
    two samples of zeros and ones, ``i`` of ``n1`` and ``j`` of ``n2`` zeros, have exactly
    that statistic; ``(i, j)`` is the pair nearest to ``statistic``."""
    import warnings

    from scipy.stats import ks_2samp

    zeros = np.arange(first_size + 1)
    first_share = zeros / first_size
    candidates = np.stack(
        [
            np.rint((first_share - statistic) * second_size),
            np.rint((first_share + statistic) * second_size),
        ]
    ).clip(0, second_size)
    gaps = np.abs(np.abs(first_share - candidates / second_size) - statistic)
    row, i = np.unravel_index(int(np.argmin(gaps)), gaps.shape)
    j = int(candidates[row, i])
    first = np.repeat([0.0, 1.0], [int(i), first_size - int(i)])
    second = np.repeat([0.0, 1.0], [j, second_size - j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's own fall-back to asymptotic
        return float(ks_2samp(first, second).pvalue)


def _kullback_leibler(p: NDArray[np.float64], q: NDArray[np.float64]) -> float:
    present = p > 0
    return float(np.sum(p[present] * np.log(p[present] / q[present])))


def _same_bins(reference_counts: Counts, current_counts: Counts) -> None:
    if len(reference_counts) != len(current_counts):
        raise ValueError(
            f"histograms must share their bins: {len(reference_counts)} and "
            f"{len(current_counts)} bins"
        )


__all__ = [
    "EXACT_KS_LIMIT",
    "PSI_SMOOTHING",
    "ChiSquareResult",
    "chi_square_test",
    "jensen_shannon_distance",
    "kolmogorov_smirnov_pvalue",
    "population_stability_index",
    "shares",
]
