"""Runs of transactions that belong together: shopping sessions and fraud episodes.

A run has a length; its transactions are laid out one after the other, separated by gaps.
Everything is computed for all runs at once.

>>> runs = Runs.of_lengths(np.array([2, 1, 3]))
>>> runs.run.tolist(), runs.position.tolist()
([0, 0, 1, 2, 2, 2], [0, 1, 0, 0, 1, 2])
>>> runs.elapsed(np.array([9, 5, 9, 9, 7, 4])).tolist()
[0, 5, 0, 0, 7, 11]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Runs:
    """Row layout of runs: which run each row belongs to and where in it."""

    lengths: npt.NDArray[np.int64]
    run: npt.NDArray[np.int64]
    """Run index of each row."""
    position: npt.NDArray[np.int64]
    """Position of each row within its run, from 0."""
    first_row: npt.NDArray[np.int64]
    """Row index where each run starts."""

    @classmethod
    def of_lengths(cls, lengths: npt.NDArray[np.int64]) -> Runs:
        """Lay out runs of the given lengths (each at least 1)."""
        lengths = lengths.astype(np.int64)
        first_row = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        run = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        position = np.arange(len(run), dtype=np.int64) - first_row[run]
        return cls(lengths=lengths, run=run, position=position, first_row=first_row)

    @property
    def rows(self) -> int:
        """Total number of rows."""
        return len(self.run)

    def elapsed(self, gaps: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Time of each row since its run's first row, given the gap before each row.

        The gap of a run's first row is ignored.
        """
        gaps = np.where(self.position == 0, 0, gaps).astype(np.int64)
        total = np.cumsum(gaps)
        return total - total[self.first_row][self.run]


def lengths_summing_to(
    generator: np.random.Generator,
    total: int,
    values: npt.NDArray[np.int64],
    probabilities: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """Draw run lengths from ``values`` until they add up to exactly ``total``.

    The last run is shortened if needed.

    >>> lengths = lengths_summing_to(
    ...     np.random.default_rng(0), 50, np.array([1, 2, 3]), np.array([0.5, 0.3, 0.2])
    ... )
    >>> int(lengths.sum()), bool((lengths >= 1).all())
    (50, True)
    """
    if total <= 0:
        return np.empty(0, dtype=np.int64)
    lengths = generator.choice(values, size=total, p=probabilities).astype(np.int64)
    cumulative = np.cumsum(lengths)
    last = int(np.searchsorted(cumulative, total, side="left"))
    lengths = lengths[: last + 1].copy()
    lengths[-1] -= int(cumulative[last]) - total
    return lengths


__all__ = ["Runs", "lengths_summing_to"]
