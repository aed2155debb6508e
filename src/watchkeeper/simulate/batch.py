"""Columnar NumPy arrays of transactions, before they become a Polars frame.

Generators of each kind of traffic return a :class:`TransactionBatch`; the orchestrator joins
them, sorts them by time and turns them into frames with readable ids.

>>> batch = TransactionBatch.concatenate([TransactionBatch.empty(), TransactionBatch.empty()])
>>> len(batch)
0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

NO_DEVICE = -1
"""Device value of a card-present transaction."""
NO_CHARGEBACK = -1
"""Chargeback lag of a transaction that never gets a chargeback."""


@dataclass(frozen=True)
class TransactionBatch:
    """Transactions as parallel arrays; every array has the same length."""

    offset: npt.NDArray[np.int64]
    """Microseconds since the start of the simulation (midnight UTC of day 0)."""
    card: npt.NDArray[np.int64]
    merchant: npt.NDArray[np.int64]
    amount: npt.NDArray[np.float64]
    country: npt.NDArray[np.int64]
    """Index into :data:`~watchkeeper.simulate.categories.COUNTRIES`."""
    online: npt.NDArray[np.bool_]
    device: npt.NDArray[np.int64]
    """Device number, or :data:`NO_DEVICE`."""
    is_fraud: npt.NDArray[np.bool_]
    chargeback_lag: npt.NDArray[np.int64]
    """Microseconds from the transaction to its chargeback, or :data:`NO_CHARGEBACK`."""

    def __len__(self) -> int:
        return len(self.offset)

    @classmethod
    def empty(cls) -> TransactionBatch:
        """Return a batch without transactions."""
        integers = np.empty(0, dtype=np.int64)
        flags = np.empty(0, dtype=np.bool_)
        return cls(
            offset=integers,
            card=integers,
            merchant=integers,
            amount=np.empty(0, dtype=np.float64),
            country=integers,
            online=flags,
            device=integers,
            is_fraud=flags,
            chargeback_lag=integers,
        )

    @classmethod
    def concatenate(cls, batches: Sequence[TransactionBatch]) -> TransactionBatch:
        """Join batches end to end, in the given order."""
        if not batches:
            return cls.empty()
        columns = {
            field.name: np.concatenate([getattr(batch, field.name) for batch in batches])
            for field in fields(cls)
        }
        return cls(**columns)

    def take(self, rows: npt.NDArray[np.int64] | slice) -> TransactionBatch:
        """Return the batch restricted to ``rows`` (indices or a slice), in that order."""
        return TransactionBatch(
            **{field.name: getattr(self, field.name)[rows] for field in fields(self)}
        )

    def sorted_by_time(self) -> TransactionBatch:
        """Return the batch sorted by ``offset``; ties keep their order (stable sort).

        >>> batch = TransactionBatch.empty()
        >>> len(batch.sorted_by_time())
        0
        """
        return self.take(np.argsort(self.offset, kind="stable"))


__all__ = ["NO_CHARGEBACK", "NO_DEVICE", "TransactionBatch"]
