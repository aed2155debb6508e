"""Outcomes (chargebacks) posted to the service: validated, then appended to ``outcomes``.

Idempotent by event id: the outcomes table keeps one row per event id on read (the latest
arrival), so posting the same outcome twice leaves the same state.

>>> from datetime import UTC, datetime
>>> table = outcome_rows([{"event_id": "e1", "outcome": "chargeback",
...                        "outcome_ts": "2026-06-20T10:00:00Z", "amount": 42.0}],
...                      received_at=datetime(2026, 6, 21, tzinfo=UTC))
>>> table.column("event_id").to_pylist(), table.column("amount").to_pylist()
(['e1'], [42.0])
>>> outcome_rows([{"event_id": "e1", "outcome": "chargeback", "outcome_ts": "soon"}],
...              received_at=datetime(2026, 6, 21, tzinfo=UTC))
Traceback (most recent call last):
...
watchkeeper.serving.request_body.BadRequestError: outcomes[0].outcome_ts: not an ISO-8601 timestamp (got 'soon')
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from watchkeeper.errors import InvalidInputError
from watchkeeper.features.schema_validation import parse_timestamp
from watchkeeper.serving.request_body import BadRequestError
from watchkeeper.storage.event_tables import event_table


def outcome_rows(outcomes: Sequence[Any], *, received_at: datetime) -> pa.Table:
    """The ``outcomes`` rows of posted outcomes; the first bad one raises :class:`BadRequestError`."""
    columns: dict[str, list[Any]] = {
        "event_id": [],
        "outcome": [],
        "outcome_ts": [],
        "amount": [],
        "received_at": [],
    }
    for position, outcome in enumerate(outcomes):
        where = f"outcomes[{position}]"
        if not isinstance(outcome, dict):
            raise BadRequestError(where, "expected a JSON object", 422)
        for name in ("event_id", "outcome"):
            value = outcome.get(name)
            if not isinstance(value, str) or not value.strip():
                raise BadRequestError(f"{where}.{name}", "required: a non-empty string", 422)
        try:
            moment = parse_timestamp("outcome_ts", outcome.get("outcome_ts"))
        except InvalidInputError as error:
            raise BadRequestError(f"{where}.outcome_ts", error.reason, 422) from None
        amount = outcome.get("amount")
        if amount is not None and (
            isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0
        ):
            raise BadRequestError(
                f"{where}.amount", f"expected a number >= 0 (got {amount!r})", 422
            )
        columns["event_id"].append(outcome["event_id"])
        columns["outcome"].append(outcome["outcome"])
        columns["outcome_ts"].append(moment)
        columns["amount"].append(None if amount is None else float(amount))
        columns["received_at"].append(received_at)
    return pa.Table.from_pydict(columns, schema=event_table("outcomes").schema)


__all__ = ["outcome_rows"]
