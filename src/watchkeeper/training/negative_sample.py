"""Negative down-sampling for a binary trainer: every positive, a fraction of the negatives.

A fraud model's training slice is 99% negatives. Most of what they teach, a quarter of them
teaches as well, and a gradient-boosting fit costs in proportion to its rows. With
``training.negative_sample`` ``f`` the trainer sees every positive and each negative with
probability ``f``, and each kept negative weighs ``1/f`` times its own weight (its
provisional-label and recency weights), so the weighted rates the model learns are unbiased:
its probabilities stay calibrated in expectation and the threshold, chosen on the whole
validation slice, is unaffected by the sampling.

A negative is kept when the first 8 bytes of the BLAKE2b hash of ``"{seed}:{event_id}"``,
read as an unsigned big-endian integer, fall below ``f * 2**64`` (the same hash as
``training.sample``'s, :func:`~watchkeeper.training.window_sample.entity_hash`): the same
events on every run and engine, and an event kept in one attempt's window is kept in the
next one's, so successive versions learn from the same sample of the traffic they share.
Only the trainer's rows are sampled; the validation slice (threshold), the holdout (gate,
calibrator) and the lineage's data hash stay whole.

>>> sample = NegativeSample(fraction=0.5)
>>> labels = np.array([1, 0, 0, 0, 0, 1])
>>> kept, factor = sample.choose(labels, pl.Series(["a", "b", "c", "d", "e", "f"]))
>>> kept.tolist(), factor.tolist()
([True, True, True, False, True, True], [1.0, 2.0, 2.0, 2.0, 2.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.errors import ConfigError
from watchkeeper.training.window_sample import SCALE, entity_hash


@dataclass(frozen=True)
class NegativeSample:
    """Keep every positive and ``fraction`` of the negatives, chosen by event id and ``seed``."""

    fraction: float
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.fraction <= 1:
            raise ConfigError(
                f"training.negative_sample: {self.fraction} is not a fraction in (0, 1] "
                "of the negatives"
            )

    def choose(
        self, labels: npt.NDArray[Any], event_ids: pl.Series
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Which rows the trainer sees, and each row's weight multiplier (``1/fraction`` for
        a kept negative, 1 otherwise).

        >>> kept, factor = NegativeSample(1.0).choose(np.array([0, 1]), pl.Series(["a", "b"]))
        >>> kept.tolist(), factor.tolist()
        ([True, True], [1.0, 1.0])
        """
        positive = np.asarray(labels) == 1
        if self.fraction >= 1:
            return np.ones(positive.size, dtype=np.bool_), np.ones(positive.size)
        limit = int(self.fraction * SCALE)
        negative_rows = np.flatnonzero(~positive)
        ids = event_ids.gather(negative_rows).to_list()
        drawn = np.fromiter(
            (entity_hash(value, self.seed) < limit for value in ids),
            dtype=np.bool_,
            count=len(ids),
        )
        kept = positive.copy()
        kept[negative_rows] = drawn
        factor = np.where(positive, 1.0, 1.0 / self.fraction)
        return kept, factor

    def describe(self, labels: npt.NDArray[Any], kept: npt.NDArray[np.bool_]) -> dict[str, Any]:
        """The sample in an attempt's evidence: its rule, and the rows before and after it.

        >>> NegativeSample(0.25).describe(np.array([1, 0, 0, 0]), np.array([1, 0, 1, 0], bool))
        {'fraction': 0.25, 'seed': 0, 'rows': 4, 'positives': 1, 'negatives_kept': 1, 'negatives_left_out': 2}
        """
        positive = np.asarray(labels) == 1
        return {
            "fraction": self.fraction,
            "seed": self.seed,
            "rows": int(positive.size),
            "positives": int(positive.sum()),
            "negatives_kept": int((kept & ~positive).sum()),
            "negatives_left_out": int((~kept & ~positive).sum()),
        }


__all__ = ["NegativeSample"]
