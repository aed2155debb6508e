"""The paired bootstrap of a metric difference between two models on the same holdout.

Each resample draws the holdout's ``n`` rows with replacement (a seeded NumPy generator, so
the same seed gives the same interval) and is represented by its *count matrix*: how often
each row was drawn. Both models are measured on the same resample — that pairing is what
makes the interval of the difference narrow when the two models agree on most rows.

A statistic is a function from a block of count matrices (resamples by rows) to one value
per resample, computed without refitting or re-scoring anything:

- a sum of per-row contributions (business value) is ``counts @ contributions``;
- a ratio of sums (recall at a fixed set of flags) is ``counts @ a / counts @ b``;
- average precision (PR AUC) uses cumulative sums of the counts along the rows sorted once
  by score, which reproduces scikit-learn's ``average_precision_score`` with the counts as
  sample weights.

Resamples are processed in blocks of at most :data:`BLOCK_CELLS` counts, so memory stays
bounded for large holdouts. The interval is the percentile interval of the differences.

>>> contributions_a = np.array([1.0, 2.0, 3.0, 4.0])
>>> contributions_b = contributions_a + 1.0
>>> interval = paired_bootstrap(weighted_sum(contributions_a), weighted_sum(contributions_b),
...                             rows=4, samples=200, seed=7)
>>> interval.difference, interval.low, interval.high, interval.excludes_zero
(4.0, 4.0, 4.0, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from watchkeeper.modeling.label_mass import label_masses

FloatArray = npt.NDArray[np.float64]
CountMatrix = npt.NDArray[np.float64]
CountStatistic = Callable[[CountMatrix], FloatArray]
"""Maps a block of resample counts (resamples x rows) to one statistic per resample."""

BLOCK_CELLS = 2_000_000
"""Resamples are drawn in blocks of at most this many counts (resamples x rows)."""


@dataclass(frozen=True)
class BootstrapInterval:
    """The observed difference (challenger minus champion) and its bootstrap interval.

    ``valid_samples`` leaves out resamples where a statistic is undefined (no positive
    drawn, for a recall or a PR AUC). ``standard_error`` is the standard deviation of the
    valid resamples' differences (NaN with fewer than two): what the gate's power is
    computed from (:mod:`~watchkeeper.training.gate_power`).
    """

    difference: float
    low: float
    high: float
    confidence: float
    samples: int
    valid_samples: int
    seed: int
    standard_error: float = float("nan")

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely above zero (the challenger is better)."""
        return self.low > 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the audit log."""
        return {**asdict(self), "excludes_zero": self.excludes_zero}


def resample_counts(rows: int, samples: int, seed: int) -> Iterator[CountMatrix]:
    """Blocks of count matrices: row ``i`` of a block says how often each row was drawn.

    >>> blocks = list(resample_counts(rows=3, samples=2, seed=0))
    >>> [block.sum(axis=1).tolist() for block in blocks]
    [[3.0, 3.0]]
    """
    if rows < 1 or samples < 1:
        raise ValueError(f"need at least one row and one sample (got {rows} and {samples})")
    generator = np.random.default_rng(seed)
    block = max(1, BLOCK_CELLS // rows)
    for start in range(0, samples, block):
        size = min(block, samples - start)
        drawn = generator.integers(0, rows, size=(size, rows))
        offsets = (np.arange(size) * rows)[:, None]
        counts = np.bincount((drawn + offsets).ravel(), minlength=size * rows)
        yield counts.reshape(size, rows).astype(np.float64)


def paired_bootstrap(
    champion: CountStatistic,
    challenger: CountStatistic,
    *,
    rows: int,
    samples: int,
    seed: int,
    confidence: float = 0.95,
) -> BootstrapInterval:
    """The challenger-minus-champion difference and its percentile bootstrap interval."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence} must lie strictly between 0 and 1")
    everything = np.ones((1, rows))
    observed = float(challenger(everything)[0] - champion(everything)[0])
    differences = np.concatenate(
        [challenger(counts) - champion(counts) for counts in resample_counts(rows, samples, seed)]
    )
    finite = differences[np.isfinite(differences)]
    if finite.size == 0:
        low = high = float("nan")
    else:
        tail = (1 - confidence) / 2
        low, high = (float(value) for value in np.quantile(finite, [tail, 1 - tail]))
    spread = float(np.std(finite, ddof=1)) if finite.size > 1 else float("nan")
    return BootstrapInterval(
        difference=observed,
        low=low,
        high=high,
        confidence=confidence,
        samples=samples,
        valid_samples=int(finite.size),
        seed=seed,
        standard_error=spread,
    )


def weighted_sum(contributions: FloatArray) -> CountStatistic:
    """The statistic ``sum(count_i * contribution_i)`` (a total over the resample).

    >>> weighted_sum(np.array([1.0, 2.0]))(np.array([[2.0, 0.0], [1.0, 1.0]])).tolist()
    [2.0, 3.0]
    """
    values = np.asarray(contributions, dtype=np.float64)

    def statistic(counts: CountMatrix) -> FloatArray:
        result: FloatArray = counts @ values
        return result

    return statistic


def weighted_ratio(numerator: FloatArray, denominator: FloatArray) -> CountStatistic:
    """The statistic ``sum(count * numerator) / sum(count * denominator)`` (NaN over zero).

    >>> recall = weighted_ratio(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    >>> recall(np.array([[1.0, 1.0], [0.0, 2.0]])).tolist()
    [0.5, 0.0]
    """
    top = np.asarray(numerator, dtype=np.float64)
    bottom = np.asarray(denominator, dtype=np.float64)

    def statistic(counts: CountMatrix) -> FloatArray:
        totals = counts @ bottom
        with np.errstate(invalid="ignore", divide="ignore"):
            result: FloatArray = np.where(totals > 0, (counts @ top) / totals, np.nan)
        return result

    return statistic


def weighted_macro_f1(
    decided: npt.ArrayLike, labels: npt.ArrayLike, classes: npt.ArrayLike
) -> CountStatistic:
    """Macro F1 over ``classes`` (class positions) with the counts as sample weights.

    Per class ``2 TP / (predicted + actual)``, 0 when both are 0 (scikit-learn's
    ``zero_division=0``), averaged over ``classes``.

    >>> statistic = weighted_macro_f1(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]), [0, 1, 2])
    >>> statistic(np.ones((1, 4))).round(4).tolist()
    [0.7778]
    """
    predicted = np.asarray(decided)[:, None] == np.asarray(classes)[None, :]
    actual = np.asarray(labels)[:, None] == np.asarray(classes)[None, :]
    hits = (predicted & actual).astype(np.float64)
    totals = predicted.astype(np.float64) + actual.astype(np.float64)

    def statistic(counts: CountMatrix) -> FloatArray:
        denominator = counts @ totals
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = np.where(denominator > 0, 2 * (counts @ hits) / denominator, 0.0)
        result: FloatArray = scores.mean(axis=1)
        return result

    return statistic


def weighted_average_precision(
    scores: FloatArray, labels: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> CountStatistic:
    """Average precision (PR AUC) with the counts as sample weights, each row counted by its
    label masses (:func:`~watchkeeper.modeling.label_mass.label_masses`: a positive of
    weight ``w`` stands for ``w`` positives and takes ``w - 1`` from the negatives); NaN with
    no positive.

    Scores that tie form one step of the curve, as in scikit-learn, which it equals with 0/1
    labels and weights on negatives only. A precision above 1 (the top rows provisional
    positives, each standing for several) is counted as 1, so the area stays in [0, 1].

    >>> statistic = weighted_average_precision(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1]))
    >>> statistic(np.ones((1, 3))).round(4).tolist()
    [0.8333]
    >>> weighted_average_precision(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1]),  # as sklearn
    ...                            np.array([1.0, 3.0, 1.0]))(np.ones((1, 3))).round(4).tolist()
    [0.7]
    """
    positive, negative = label_masses(labels, weights)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    descending = np.asarray(scores, dtype=np.float64)[order]
    sorted_positive = positive[order]
    sorted_total = (positive + negative)[order]
    last_of_tie = np.r_[descending[1:] != descending[:-1], True]

    def statistic(counts: CountMatrix) -> FloatArray:
        ordered = counts[:, order]
        true_positives = np.cumsum(ordered * sorted_positive, axis=1)[:, last_of_tie]
        flagged = np.cumsum(ordered * sorted_total, axis=1)[:, last_of_tie]
        gains = np.diff(true_positives, axis=1, prepend=0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.minimum(np.where(flagged > 0, true_positives / flagged, 0.0), 1.0)
            positives = true_positives[:, -1]
            result: FloatArray = np.where(
                positives > 0, (gains * precision).sum(axis=1) / positives, np.nan
            )
        return result

    return statistic


__all__ = [
    "BLOCK_CELLS",
    "BootstrapInterval",
    "CountMatrix",
    "CountStatistic",
    "paired_bootstrap",
    "resample_counts",
    "weighted_average_precision",
    "weighted_macro_f1",
    "weighted_ratio",
    "weighted_sum",
]
