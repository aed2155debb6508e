"""Calibrated drift levels: each feature's PSI judged against its own noise at the window's size.

Fixed PSI levels (warn 0.1, alert 0.25) fail both ways: on a few hundred rows identical
distributions reach them by chance, and on tens of thousands a certain, material shift (half a
standard deviation of the mean: PSI about 0.2) never does. The calibrated rule sets each
feature's levels from two things, at the size of the window judged.

**How much PSI moves by chance, measured on the reference itself.** The reference (``N`` rows,
in its own order) is cut into ``calibration_chunks`` consecutive chunks; each chunk's PSI
against the rest of the reference, on the reference's bins, is what a window of that size
shows without drift, seasonality and all (as NannyML calibrates on its reference chunks).
Under no drift ``n_eff * PSI`` is asymptotically chi-square with ``k - 1`` degrees of freedom
(``k`` occupied cells, ``1 / n_eff = 1 / n + 1 / N``: see
:mod:`~watchkeeper.monitoring.job.judgement`), so each chunk's PSI is put on that scale,
``PSI_j / (1 / n_j + 1 / (N - n_j))``, and the noise of a window of ``n`` rows is
``(mean + z * sd) * (1 / n + 1 / N)`` over the chunks, with ``z`` 3 (warn) or 4 (alert).

**A floor from the null distribution.** Ten chunks give a rough mean and spread, so the levels
are never below the chi-square quantile the same scaling gives an identical sample:
``chi2_{k-1}.isf(1e-4) * (1 / n + 1 / N)`` (warn) and ``isf(1e-6)`` (alert): identical
distributions warn in at most one window and feature in ten thousand, whatever ``n``. And never
below an absolute floor, 0.01 (warn) and 0.02 (alert): on millions of rows a statistically
certain difference can still be immaterial (PSI 0.02 is a mean shift of about 0.15 standard
deviations).

So the level falls as windows grow (noise shrinks like ``1 / n``) down to the floor, and rises
on a reference whose own chunks differ (a seasonal feature), though never above the fixed
levels (``monitoring.psi``) unless the floors are: a reference sorted by a feature would
otherwise silence it. Such a feature gets a note (:func:`calibration_notes`). An explicit per-feature level in
the workspace (``monitoring.per_feature.<name>.warn`` / ``alert``) wins over the calibration.

>>> import numpy as np, pyarrow as pa
>>> from watchkeeper.monitoring.profiles.profile_builder import build_reference_profile
>>> rng = np.random.default_rng(0)
>>> reference = pa.table({"x": rng.normal(size=50_000)})
>>> profile = build_reference_profile(reference, {"x": "numeric"})
>>> calibration = calibrate_reference(reference, profile)["x"]
>>> levels = calibration.levels(5_000)
>>> round(levels.warn, 3), round(levels.alert, 3)
(0.01, 0.02)
>>> round(calibration.levels(200).alert, 2)
0.22
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from watchkeeper.config.lifecycle import DriftThresholds
from watchkeeper.monitoring.job.judgement import occupied_cells
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.column_summaries import (
    CategoryCounter,
    column_label_counts,
    numeric_values,
)
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_builder import DEFAULT_THREADS, map_columns
from watchkeeper.monitoring.profiles.profile_plan import CategoricalBinning
from watchkeeper.monitoring.statistics.drift_statistics import population_stability_index
from watchkeeper.monitoring.statistics.tail_probabilities import chi_square_upper_quantile

DEFAULT_CALIBRATION_CHUNKS = 10
"""Consecutive chunks the reference is cut into to measure its own noise."""

FEW_EDGES = 32
"""Up to this many bin edges, chunks are counted by one comparison per edge."""

WARN_DEVIATIONS = 3.0
"""Standard deviations of the reference's chunk noise above its mean: the warn level."""
ALERT_DEVIATIONS = 4.0
"""Standard deviations of the reference's chunk noise above its mean: the alert level."""

WIDE_NOISE = 3.0
"""Reference chunks whose PSI is this many times chance's are worth a note."""

WARN_TAIL = 1e-4
"""Chance that an identical sample reaches the warn floor (chi-square)."""
ALERT_TAIL = 1e-6
"""Chance that an identical sample reaches the alert floor (chi-square)."""

WARN_FLOOR = 0.01
"""The least warn level: smaller PSI is immaterial however certain."""
ALERT_FLOOR = 0.02
"""The least alert level."""


@dataclass(frozen=True)
class DriftCalibration:
    """One feature's PSI noise, measured on its reference, in units of ``1 / n + 1 / N``.

    ``noise_mean`` and ``noise_sd``: the mean and standard deviation of the reference chunks'
    scaled PSI (None when the reference is too small to cut); ``cells``: occupied cells;
    ``reference_rows``: ``N``.

    >>> calibration = DriftCalibration(cells=11, reference_rows=50_000, noise_mean=10.0, noise_sd=4.0)
    >>> round(calibration.levels(1_000).warn, 4), round(calibration.levels(1_000).alert, 4)
    (0.0363, 0.0478)
    """

    cells: int
    reference_rows: int
    noise_mean: float | None = None
    noise_sd: float | None = None

    def levels(self, rows: int, ceiling: DriftThresholds | None = None) -> DriftThresholds:
        """The warn and alert PSI levels for a window of ``rows`` rows; the reference's noise
        widens them up to ``ceiling`` at most (the fixed levels), the floors whatever it is.

        >>> wide = DriftCalibration(cells=11, reference_rows=50_000, noise_mean=9e3, noise_sd=0.0)
        >>> wide.levels(1_000).alert > 1, wide.levels(1_000, DriftThresholds()).alert
        (True, 0.25)
        """
        scale = 1.0 / max(rows, 1) + 1.0 / max(self.reference_rows, 1)
        warn = max(WARN_FLOOR, _null_quantile(WARN_TAIL, self.cells) * scale)
        alert = max(ALERT_FLOOR, _null_quantile(ALERT_TAIL, self.cells) * scale)
        if self.noise_mean is not None and self.noise_sd is not None:
            noise_warn = (self.noise_mean + WARN_DEVIATIONS * self.noise_sd) * scale
            noise_alert = (self.noise_mean + ALERT_DEVIATIONS * self.noise_sd) * scale
            if ceiling is not None:
                noise_warn = min(noise_warn, ceiling.warn)
                noise_alert = min(noise_alert, ceiling.alert)
            warn, alert = max(warn, noise_warn), max(alert, noise_alert)
        return DriftThresholds(warn=warn, alert=max(warn, alert))

    @property
    def wide(self) -> bool:
        """Whether the reference's own chunks differ far more than chance would make them
        (their mean scaled PSI above :data:`WIDE_NOISE` times its null mean, ``cells - 1``):
        a seasonal reference, or one ordered by this feature.

        >>> DriftCalibration(11, 50_000, 10.0, 4.0).wide, DriftCalibration(11, 50_000, 90.0, 4.0).wide
        (False, True)
        """
        return self.noise_mean is not None and self.noise_mean > WIDE_NOISE * max(self.cells - 1, 1)


@functools.lru_cache(maxsize=256)
def _null_quantile(tail: float, cells: int) -> float:
    return chi_square_upper_quantile(tail, cells - 1) if cells >= 2 else 0.0


def chunk_noise(cells: NDArray[np.int64]) -> tuple[float, float] | None:
    """Mean and standard deviation of each chunk's PSI against the rest of the chunks, scaled
    by ``1 / (1 / n_j + 1 / (N - n_j))``; ``cells``: one row of cell counts per chunk. None
    with fewer than two non-empty chunks.

    >>> mean, sd = chunk_noise(np.array([[50, 50], [50, 50], [50, 50]]))
    >>> mean, sd
    (0.0, 0.0)
    """
    total, rows = cells.sum(axis=0), cells.sum(axis=1)
    everything = int(rows.sum())
    scaled = [
        population_stability_index(total - chunk, chunk) / (1.0 / size + 1.0 / (everything - size))
        for chunk, size in zip(cells, rows, strict=True)
        if 0 < size < everything
    ]
    if len(scaled) < 2:
        return None
    values = np.array(scaled)
    return float(values.mean()), float(values.std(ddof=1))


def calibrate_reference(
    data: pa.Table,
    profile: DatasetProfile,
    chunks: int = DEFAULT_CALIBRATION_CHUNKS,
    threads: int = DEFAULT_THREADS,
) -> dict[str, DriftCalibration]:
    """Each feature's :class:`DriftCalibration` from the reference ``data`` (its rows in
    order) and its ``profile`` (the bins and categories PSI is computed on)."""
    names = list(profile.features)
    bounds = np.linspace(0, data.num_rows, chunks + 1).round().astype(np.int64)

    def calibrate(name: str) -> DriftCalibration:
        feature = profile.features[name]
        if data.num_rows < 2 * chunks:  # too few rows to cut: the floors alone
            return DriftCalibration(occupied_cells(feature), profile.rows)
        column = data.column(name)
        if isinstance(feature, NumericProfile):
            cells = numeric_chunk_cells(column, feature.edges, bounds)
        else:
            cells = categorical_chunk_cells(column, feature, bounds)
        noise = chunk_noise(cells)
        mean, sd = noise if noise is not None else (None, None)
        return DriftCalibration(occupied_cells(feature), profile.rows, mean, sd)

    return dict(zip(names, map_columns(calibrate, names, threads), strict=True))


def numeric_chunk_cells(
    column: pa.ChunkedArray, edges: tuple[float, ...], bounds: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Cell counts (bins, then missing) of each chunk ``bounds[j]:bounds[j + 1]``.

    With few edges, each value's bin as a byte, one comparison per edge added up (no binary
    search per value), then a count per chunk; with many, a search and a count.

    >>> column = pa.chunked_array([[0.5, 1.5, None, 2.5]])
    >>> numeric_chunk_cells(column, (1.0, 2.0), np.array([0, 2, 4])).tolist()
    [[1, 1, 0, 0], [0, 0, 1, 1]]
    """
    values = (
        np.concatenate([numeric_values(part) for part in column.chunks])
        if column.num_chunks
        else np.zeros(0)
    )
    width = len(edges) + 2
    cell: NDArray[np.integer[Any]]
    if len(edges) <= FEW_EDGES:
        cell = np.zeros(len(values), dtype=np.uint8)
        for edge in edges:  # NaN is above no edge
            cell += values >= edge
    else:
        cell = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")
    cell[~np.isfinite(values)] = width - 1  # missing (null, NaN, +-inf)
    return np.array(
        [
            np.bincount(cell[start:stop], minlength=width)
            for start, stop in itertools.pairwise(bounds)
        ],
        dtype=np.int64,
    ).reshape(len(bounds) - 1, width)


def categorical_chunk_cells(
    column: pa.ChunkedArray, feature: CategoricalProfile, bounds: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Cell counts (categories, other, missing) of each chunk ``bounds[j]:bounds[j + 1]``."""
    counter = CategoryCounter(CategoricalBinning(feature.categories, feature.vocabulary))
    rows = []
    for start, stop in itertools.pairwise(bounds):
        counted = column_label_counts(column.slice(int(start), int(stop - start)))
        rows.append(counter.profile_counts(counted).cells)
    return np.array(rows, dtype=np.int64)


def calibration_notes(calibration: Mapping[str, DriftCalibration]) -> dict[str, str]:
    """A note on each feature whose reference chunks differ far more than chance: its
    calibrated levels are wide (up to the fixed ones).

    >>> calibration_notes({"amount": DriftCalibration(11, 50_000, 90.0, 4.0)})["amount"][:44]
    "the reference's own chunks differ 9x more th"
    """
    return {
        name: (
            f"the reference's own chunks differ {item.noise_mean / max(item.cells - 1, 1):.0f}x "
            "more than chance makes them (seasonal, or the reference is ordered by this "
            "feature?): its calibrated levels are widened, up to the fixed ones"
        )
        for name, item in calibration.items()
        if item.wide and item.noise_mean is not None
    }


__all__ = [
    "ALERT_DEVIATIONS",
    "ALERT_FLOOR",
    "ALERT_TAIL",
    "DEFAULT_CALIBRATION_CHUNKS",
    "FEW_EDGES",
    "WARN_DEVIATIONS",
    "WARN_FLOOR",
    "WARN_TAIL",
    "WIDE_NOISE",
    "DriftCalibration",
    "calibrate_reference",
    "calibration_notes",
    "categorical_chunk_cells",
    "chunk_noise",
    "numeric_chunk_cells",
]
