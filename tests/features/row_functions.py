"""A custom row function the tests name in their specs (``row_functions:amount_per_item``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def amount_per_item(row: Mapping[str, Any]) -> float | None:
    """Amount per item, with the hour of the event time added so timestamps matter too."""
    amount, items = row["amount"], row["items"]
    if amount is None or not items:
        return None
    return float(amount) / items + row["ts"].hour
