"""A deterministic sample of a training slice by entity: the same rows on every run and engine.

A training window larger than the trainer's memory (billions of card transactions) can be
sampled: ``training.sample`` (or ``--sample``) keeps the fraction ``f`` of *entities* (the
workspace's ``keys.entity``, e.g. cards), each with all its rows of the training slice. An
entity is kept when the first 8 bytes of the BLAKE2b hash of ``"{seed}:{value}"`` (the
value as text, null as ``"\\0"``), read as an unsigned big-endian integer, are below
``f * 2**64``; ``seed`` is ``training.seed``. So a sample depends only on the entity values,
the fraction and the seed: the same batch gives the same sample in Polars and in Spark (its
executors evaluate this very function), from run to run and machine to machine.

Whole entities, not rows: an entity's rows are all in or all out, so its history (and the
windowed features computed on the full history) stays intact. Every entity is equally
likely to be kept, so the sample is unbiased for the rates a model learns and needs no
weights. Only the training slice is sampled: the validation slice (the threshold) and the
holdout (the gate) stay whole, so versions are judged on all the evidence.

>>> sample = EntitySample(fraction=0.5, entity="card_id")
>>> sample.keep(pl.Series(["c1", "c2", "c3", "c4", None])).tolist()  # null: one entity too
[True, True, True, False, True]
>>> entity_hash("c4", seed=0) >= 2**63  # c4 is out of the half sample
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.errors import ConfigError

SCALE = 2**64
"""The hash's range: an entity is kept when its hash is below ``fraction * SCALE``."""


def entity_hash(value: object, seed: int = 0) -> int:
    """The 64-bit hash that decides an entity (see the module's notes).

    >>> entity_hash(17) == entity_hash("17")  # the value as text
    True
    """
    text = "\0" if value is None else str(value)
    digest = hashlib.blake2b(f"{seed}:{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class EntitySample:
    """Which entities of a training slice are kept: ``fraction`` of them, by ``entity``."""

    fraction: float
    entity: str
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.fraction <= 1:
            raise ConfigError(
                f"training.sample: {self.fraction} is not a fraction in (0, 1] of the entities"
            )

    def keep(self, values: pl.Series) -> npt.NDArray[np.bool_]:
        """For each value (an entity of a row), whether its entity is in the sample."""
        if self.fraction >= 1:
            return np.ones(values.len(), dtype=np.bool_)
        limit = int(self.fraction * SCALE)
        distinct = values.unique().to_list()
        kept = [value for value in distinct if entity_hash(value, self.seed) < limit]
        mask = values.is_in([value for value in kept if value is not None])
        if None in kept:
            mask = mask | values.is_null()
        return mask.fill_null(False).to_numpy()

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows of ``frame`` whose entity is in the sample (order kept)."""
        if self.entity not in frame.columns:
            raise ConfigError(
                f"training.sample: the events have no column {self.entity!r} (keys.entity)"
            )
        return frame.filter(pl.Series(self.keep(frame[self.entity])))

    def describe(self, rows: int, kept: int) -> dict[str, Any]:
        """The sample in lineage: its rule, and the training rows before and after it.

        >>> EntitySample(0.25, "card_id").describe(1000, 260)["rows_left_out"]
        740
        """
        return {
            "fraction": self.fraction,
            "by": self.entity,
            "seed": self.seed,
            "training_rows": rows,
            "rows_kept": kept,
            "rows_left_out": rows - kept,
        }


__all__ = ["SCALE", "EntitySample", "entity_hash"]
