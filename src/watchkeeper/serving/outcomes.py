"""Outcomes (chargebacks) posted to the service: validated, then appended to ``outcomes``.

Idempotent by event id: the outcomes table keeps one row per event id on read (the latest
arrival), so posting the same outcome twice leaves the same state.

What is accepted (:class:`OutcomeRules`): an ``outcome`` among the label's values
(``label.positive_outcome`` and ``label.negative_outcomes``; anything else could never become
a label, so ``"banana"`` is refused with 422 naming ``outcomes[i].outcome``), an ``event_id``
and ``outcome`` of at most :data:`~watchkeeper.config.features.DEFAULT_MAX_LENGTH`
characters, and an ``outcome_ts`` within ``serving.event_time`` of the service's clock.

An outcome whose event the service has not scored is stored all the same, as pending: an
outcome may arrive before the prediction of its event has left the spool, for an event
another worker scored, or one loaded in bulk, and the service cannot look every id up
without scanning the prediction log per request. Labels join outcomes to events by id when
they are computed (:mod:`watchkeeper.monitoring.labels`), so an outcome whose event never
appears never becomes a label and changes nothing. Accepted outcomes are counted by value
(``watchkeeper_outcomes_received_total``).

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
>>> outcome_rows([{"event_id": "e1", "outcome": "banana", "outcome_ts": "2026-06-20"}],
...              received_at=datetime(2026, 6, 21, tzinfo=UTC))
Traceback (most recent call last):
...
watchkeeper.serving.request_body.BadRequestError: outcomes[0].outcome: not among the allowed values chargeback, reversal (got 'banana')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from watchkeeper.config.features import DEFAULT_MAX_LENGTH
from watchkeeper.config.workspace_file import LabelConfig
from watchkeeper.errors import InvalidInputError
from watchkeeper.features.schema_validation import check_length, parse_timestamp
from watchkeeper.quoting import quoted
from watchkeeper.serving.event_time_range import TimeRange
from watchkeeper.serving.request_body import BadRequestError
from watchkeeper.storage.event_tables import event_table

_LARGEST_AMOUNT = 10**308


@dataclass(frozen=True)
class OutcomeRules:
    """The outcome values accepted, and the range of ``outcome_ts`` (None: any time)."""

    values: tuple[str, ...] = LabelConfig().outcome_values
    time_range: TimeRange | None = None


def outcome_rows(
    outcomes: Sequence[Any], *, received_at: datetime, rules: OutcomeRules | None = None
) -> pa.Table:
    """The ``outcomes`` rows of posted outcomes; the first bad one raises :class:`BadRequestError`."""
    rules = rules if rules is not None else OutcomeRules()
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
        try:
            _check(outcome, rules)
            moment = parse_timestamp("outcome_ts", outcome.get("outcome_ts"))
            if rules.time_range is not None:
                rules.time_range.check("outcome_ts", moment)
        except InvalidInputError as error:
            raise BadRequestError(f"{where}.{error.field}", error.reason, 422) from None
        amount = outcome.get("amount")
        columns["event_id"].append(outcome["event_id"])
        columns["outcome"].append(outcome["outcome"])
        columns["outcome_ts"].append(moment)
        columns["amount"].append(None if amount is None else float(amount))
        columns["received_at"].append(received_at)
    return pa.Table.from_pydict(columns, schema=event_table("outcomes").schema)


def _check(outcome: dict[str, Any], rules: OutcomeRules) -> None:
    """Raise :class:`InvalidInputError` on the first field of ``outcome`` that breaks the rules."""
    for name in ("event_id", "outcome"):
        value = outcome.get(name)
        if not isinstance(value, str) or not value.strip():
            raise InvalidInputError(name, "required: a non-empty string")
        check_length(name, value, DEFAULT_MAX_LENGTH)
    if outcome["outcome"] not in rules.values:
        raise InvalidInputError(
            "outcome",
            f"not among the allowed values {', '.join(rules.values)} "
            f"(got {quoted(outcome['outcome'])})",
        )
    amount = outcome.get("amount")
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0
    ):
        raise InvalidInputError("amount", f"expected a number >= 0 (got {quoted(amount)})")
    if isinstance(amount, int) and amount > _LARGEST_AMOUNT:  # no float holds it
        raise InvalidInputError("amount", f"not a finite number (got {quoted(str(amount))})")


__all__ = ["OutcomeRules", "outcome_rows"]
