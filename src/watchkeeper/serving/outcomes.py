"""Outcomes (chargebacks) posted to the service: validated, then appended to ``outcomes``.

Idempotent by event id: the outcomes table keeps one row per event id on read (the latest
arrival), so posting the same outcome twice leaves the same state.

What is accepted (:class:`OutcomeRules`): an ``event_id`` of at most
:data:`~watchkeeper.config.features.DEFAULT_MAX_LENGTH` characters, an ``outcome_ts`` within
``serving.event_time`` of the service's clock, an optional ``amount`` (a number >= 0), and an
``outcome`` of the model's task, checked by the same rules as logged files
(:func:`~watchkeeper.intake.outcome_checks.check_outcomes`): binary, one of the label's values
(``label.positive_outcome`` and ``label.negative_outcomes``); multiclass, one of
``label.classes``; regression, a number. Anything else could never become a label, so
``"banana"`` is refused with 422 naming ``outcomes[i].outcome``. The first bad outcome of a
batch refuses the batch.

An outcome whose event the service has not scored is stored all the same, as pending: an
outcome may arrive before the prediction of its event has left the spool, for an event
another worker scored, or one loaded in bulk, and the service cannot look every id up
without scanning the prediction log per request. Labels join outcomes to events by id when
they are computed (:mod:`watchkeeper.monitoring.outcomes.labels`), so an outcome whose event never
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
>>> demand = OutcomeRules(values=(), task="regression")
>>> outcome_rows([{"event_id": "e1", "outcome": 12.5, "outcome_ts": "2026-06-20"}],
...              received_at=datetime(2026, 6, 21, tzinfo=UTC), rules=demand)["outcome"].to_pylist()
[12.5]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from watchkeeper.config.features import DEFAULT_MAX_LENGTH
from watchkeeper.config.workspace_file import LabelConfig
from watchkeeper.errors import InvalidInputError
from watchkeeper.features.schema_validation import check_length, parse_timestamp
from watchkeeper.intake import outcome_checks
from watchkeeper.quoting import quoted
from watchkeeper.serving.event_time_range import TimeRange
from watchkeeper.serving.request_body import BadRequestError, json_number
from watchkeeper.storage.events.workspace_tables import outcomes_table

if TYPE_CHECKING:
    from watchkeeper.config import WorkspaceConfig

_LARGEST_AMOUNT = 10**308


@dataclass(frozen=True)
class OutcomeRules:
    """The outcome values accepted (binary, multiclass), the range of ``outcome_ts`` (None:
    any time), and the model's ``task`` (a regression outcome is any finite number)."""

    values: tuple[str, ...] = LabelConfig().outcome_values
    time_range: TimeRange | None = None
    task: str = "binary"

    @classmethod
    def for_workspace(
        cls, config: WorkspaceConfig, time_range: TimeRange | None = None
    ) -> OutcomeRules:
        """The rules of the workspace ``config`` describes, outcome times within ``time_range``."""
        shared = outcome_checks.OutcomeRules.from_config(config)
        return cls(shared.values, time_range, shared.task)

    @property
    def numeric(self) -> bool:
        """Whether an outcome is a number (regression) rather than a class or label value."""
        return self.task == "regression"


def outcome_rows(
    outcomes: Sequence[Any], *, received_at: datetime, rules: OutcomeRules | None = None
) -> pa.Table:
    """The ``outcomes`` rows of posted outcomes; the first bad one raises :class:`BadRequestError`.

    Each outcome's fields are read one at a time (types, lengths, times); the outcome values
    of those read are then checked all at once by the task's shared rules.
    """
    rules = rules if rules is not None else OutcomeRules()
    columns: dict[str, list[Any]] = {
        "event_id": [],
        "outcome": [],
        "outcome_ts": [],
        "amount": [],
        "received_at": [],
    }
    first_bad: BadRequestError | None = None
    for position, outcome in enumerate(outcomes):
        where = f"outcomes[{position}]"
        if not isinstance(outcome, dict):
            first_bad = BadRequestError(where, "expected a JSON object", 422)
            break
        try:
            value = _checked_fields(outcome, rules)
            moment = parse_timestamp("outcome_ts", outcome.get("outcome_ts"))
            if rules.time_range is not None:
                rules.time_range.check("outcome_ts", moment)
        except InvalidInputError as error:
            first_bad = BadRequestError(f"{where}.{error.field}", error.reason, 422)
            break
        amount = outcome.get("amount")
        columns["event_id"].append(outcome["event_id"])
        columns["outcome"].append(value)
        columns["outcome_ts"].append(moment)
        columns["amount"].append(None if amount is None else float(amount))
        columns["received_at"].append(received_at)
    _check_values(columns, rules)  # outcomes before the first bad one: an earlier one may fail
    if first_bad is not None:
        raise first_bad
    return pa.Table.from_pydict(columns, schema=outcomes_table(rules.task).schema)


def _checked_fields(outcome: dict[str, Any], rules: OutcomeRules) -> str | float:
    """The outcome value of ``outcome`` in its stored type; raise :class:`InvalidInputError`
    on the first field whose type or length is wrong (values are checked later, together)."""
    names = ("event_id",) if rules.numeric else ("event_id", "outcome")
    for name in names:
        text = outcome.get(name)
        if not isinstance(text, str) or not text.strip():
            raise InvalidInputError(name, "required: a non-empty string")
        check_length(name, text, DEFAULT_MAX_LENGTH)
    value: str | float = outcome["outcome"] if not rules.numeric else _numeric(outcome)
    amount = outcome.get("amount")
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0
    ):
        raise InvalidInputError("amount", f"expected a number >= 0 (got {quoted(amount)})")
    if isinstance(amount, int) and amount > _LARGEST_AMOUNT:  # no float holds it
        raise InvalidInputError("amount", f"not a finite number (got {quoted(str(amount))})")
    return value


def _numeric(outcome: dict[str, Any]) -> float:
    """A regression outcome's value; :class:`InvalidInputError` unless a finite number."""
    given = outcome.get("outcome")
    if given is None:
        raise InvalidInputError("outcome", "required: a number")
    number = json_number(given)
    if number is None:
        raise InvalidInputError("outcome", f"expected a number (got {quoted(given)})")
    if not math.isfinite(number):
        raise InvalidInputError("outcome", f"not a finite number (got {quoted(given)})")
    return number


def _check_values(columns: dict[str, list[Any]], rules: OutcomeRules) -> None:
    """Raise :class:`BadRequestError` naming the first outcome whose value the task's shared
    rules (:func:`~watchkeeper.intake.outcome_checks.check_outcomes`) refuse."""
    if not columns["event_id"]:
        return
    outcome_type = pl.Float64 if rules.numeric else pl.String
    frame = pl.DataFrame(
        {
            "event_id": pl.Series(columns["event_id"], dtype=pl.String),
            "outcome": pl.Series(columns["outcome"], dtype=outcome_type),
            "outcome_ts": pl.Series(columns["outcome_ts"], dtype=pl.Datetime("us", "UTC")),
        }
    )
    refused = outcome_checks.check_outcomes(
        frame, outcome_checks.OutcomeRules(rules.task, rules.values)
    ).refused
    if refused.height:
        row, field, detail = refused.select("row", "field", "detail").row(0)
        raise BadRequestError(f"outcomes[{row}].{field}", detail, 422)


__all__ = ["OutcomeRules", "outcome_rows"]
