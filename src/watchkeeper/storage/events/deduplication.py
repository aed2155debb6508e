"""One row per key: how readers of the event tables never double count.

Duplicates are expected. A replayed event logs its prediction twice; a chargeback is sent
again, corrected, or reversed. The table's :class:`DuplicatePolicy` says which row wins:
the first arrival, or the latest (by the table's received time, then arrival order).

>>> import polars as pl
>>> from watchkeeper.storage.events.tables import event_table
>>> rows = pl.DataFrame({"event_id": ["a", "a", "b"], "arrival_sequence": [2, 1, 3]})
>>> deduplicate(rows, event_table("predictions")).sort("event_id")["arrival_sequence"].to_list()
[1, 3]
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from watchkeeper.storage.events.tables import DuplicatePolicy, EventTableDefinition


def has_duplicates(frame: pl.DataFrame, key_columns: tuple[str, ...]) -> bool:
    """Whether two rows of ``frame`` share a key (a fast check before any sorting).

    >>> has_duplicates(pl.DataFrame({"event_id": ["a", "b"]}), ("event_id",))
    False
    """
    if frame.height < 2:
        return False
    if len(key_columns) == 1:
        return bool(frame.get_column(key_columns[0]).n_unique() < frame.height)
    return bool(frame.select(pl.struct(key_columns).n_unique()).item() < frame.height)


def deduplicate(frame: pl.DataFrame, definition: EventTableDefinition) -> pl.DataFrame:
    """Keep, for each key, the row the table's duplicate policy says wins.

    ``frame`` must hold the key columns and :attr:`EventTableDefinition.order_columns`.
    Without duplicates the frame is returned as it is, in its order.

    >>> from datetime import datetime
    >>> from watchkeeper.storage.events.tables import event_table
    >>> arrivals = pl.DataFrame({
    ...     "event_id": ["e1", "e1", "e1"],
    ...     "outcome": ["chargeback", "reversal", "late copy"],
    ...     "received_at": [datetime(2026, 2, 1), datetime(2026, 2, 9), datetime(2026, 2, 9)],
    ...     "arrival_sequence": [1, 3, 2],
    ...     "outcome_ts": [datetime(2026, 1, 5)] * 3,
    ... })
    >>> deduplicate(arrivals, event_table("outcomes"))["outcome"].to_list()
    ['reversal']
    """
    if not has_duplicates(frame, definition.key_columns):
        return frame
    keep: Literal["first", "last"] = (
        "last" if definition.duplicate_policy is DuplicatePolicy.LATEST_ARRIVAL else "first"
    )
    return frame.sort(list(definition.order_columns), maintain_order=True).unique(
        subset=list(definition.key_columns), keep=keep, maintain_order=True
    )


__all__ = ["deduplicate", "has_duplicates"]
