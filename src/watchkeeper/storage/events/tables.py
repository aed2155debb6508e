"""The event tables: their columns, event-time column, key and duplicate policy.

Four append-only tables hold what watchkeeper observes in production:

* ``transactions``: raw traffic, simulated or ingested, one row per event;
* ``predictions``: what the served model said about an event, with the raw input and the
  served features (JSON strings), so training/serving skew can be checked later;
* ``outcomes``: the truth arriving later (chargebacks), possibly several times per event;
* ``rejections``: the events the service or a logger refused, one row per refusal, with a
  short reason code (:data:`REJECTION_REASONS`) so data quality can count them per window.

Each definition lists the columns callers provide. The store adds two of its own:
``event_date`` (the UTC date of the event time, the partition column) and
``arrival_sequence`` (the order in which rows reached the store, used to break ties).

>>> definition = event_table("outcomes")
>>> definition.time_column, definition.key_columns, definition.duplicate_policy.value
('outcome_ts', ('event_id',), 'latest_arrival')
>>> definition.stored_schema.names[-2:]
['event_date', 'arrival_sequence']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

import pyarrow as pa

from watchkeeper.errors import SchemaError

EVENT_DATE_COLUMN = "event_date"
"""The partition column: the UTC date of a row's event time, added by the store."""

ARRIVAL_SEQUENCE_COLUMN = "arrival_sequence"
"""The order in which rows reached the store (spool entry, then row), added by the store."""

STORE_COLUMNS = (EVENT_DATE_COLUMN, ARRIVAL_SEQUENCE_COLUMN)

TIMESTAMP = pa.timestamp("us", tz="UTC")


class DuplicatePolicy(Enum):
    """Which row a reader sees when several rows share a key.

    ``FIRST_ARRIVAL``: a replayed event counts once, as first logged.
    ``LATEST_ARRIVAL``: a later row corrects an earlier one (latest received wins, then the
    latest arrival), and the winner is chosen across the whole table, so two reads of
    different time ranges never both count one key.
    """

    FIRST_ARRIVAL = "first_arrival"
    LATEST_ARRIVAL = "latest_arrival"


@dataclass(frozen=True)
class EventTableDefinition:
    """The contract of one event table.

    ``schema`` holds the columns callers provide; a non-nullable field is required.
    ``received_column``, when set, is filled from the store's clock where a row leaves it
    empty. ``json_columns`` hold JSON text; a Polars struct column given there is encoded.
    ``storable_text``: a table that records refused input keeps the text UTF-8 cannot
    encode (a lone surrogate) with U+FFFD in its place, rather than refuse it.
    ``retired``: columns the stored table may still hold although no longer declared (an
    input taken out of use: Delta keeps its old values, new rows leave it empty).

    >>> definition = event_table("transactions")
    >>> definition.required_columns[:3]
    ('event_id', 'ts', 'card_id')
    """

    name: str
    schema: pa.Schema
    time_column: str
    key_columns: tuple[str, ...]
    duplicate_policy: DuplicatePolicy
    received_column: str | None = None
    json_columns: tuple[str, ...] = ()
    storable_text: bool = False
    retired: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        declared = set(self.schema.names)
        named = {self.time_column, *self.key_columns, *self.json_columns}
        if self.received_column is not None:
            named.add(self.received_column)
        if not named <= declared:
            missing = ", ".join(sorted(named - declared))
            raise SchemaError(
                f"table {self.name!r}: definition names undeclared column(s) {missing}"
            )
        if declared & set(STORE_COLUMNS):
            raise SchemaError(
                f"table {self.name!r}: {', '.join(STORE_COLUMNS)} are added by the store"
            )
        if self.schema.field(self.time_column).type != TIMESTAMP:
            raise SchemaError(
                f"table {self.name!r}: time column {self.time_column!r} must be {TIMESTAMP}"
            )

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns a caller must provide (non-nullable, not filled by the store)."""
        return tuple(
            field.name
            for field in self.schema
            if not field.nullable and field.name != self.received_column
        )

    @property
    def validated_schema(self) -> pa.Schema:
        """The schema of validated rows: the declared columns plus ``event_date``."""
        return self.schema.append(pa.field(EVENT_DATE_COLUMN, pa.date32(), nullable=False))

    @property
    def stored_schema(self) -> pa.Schema:
        """The Delta table's schema: the validated columns plus ``arrival_sequence``."""
        return self.validated_schema.append(
            pa.field(ARRIVAL_SEQUENCE_COLUMN, pa.int64(), nullable=False)
        )

    @property
    def order_columns(self) -> tuple[str, ...]:
        """Columns that rank the rows of one key in ascending order of arrival.

        The first row wins under ``FIRST_ARRIVAL``, the last under ``LATEST_ARRIVAL``.
        """
        if self.duplicate_policy is DuplicatePolicy.LATEST_ARRIVAL:
            received = (self.received_column,) if self.received_column else ()
            return (*received, ARRIVAL_SEQUENCE_COLUMN, self.time_column)
        return (ARRIVAL_SEQUENCE_COLUMN,)


def _field(name: str, data_type: pa.DataType, *, required: bool = True) -> pa.Field:
    return pa.field(name, data_type, nullable=not required)


TRANSACTIONS = EventTableDefinition(
    name="transactions",
    schema=pa.schema(
        [
            _field("event_id", pa.string()),
            _field("ts", TIMESTAMP),
            _field("card_id", pa.string()),
            _field("merchant_id", pa.string()),
            _field("merchant_category", pa.string()),
            _field("amount", pa.float64()),
            _field("country", pa.string()),
            _field("channel", pa.string()),
            _field("device_id", pa.string(), required=False),
            _field("is_fraud", pa.bool_(), required=False),
        ]
    ),
    time_column="ts",
    key_columns=("event_id",),
    duplicate_policy=DuplicatePolicy.FIRST_ARRIVAL,
)

PREDICTIONS = EventTableDefinition(
    name="predictions",
    schema=pa.schema(
        [
            _field("event_id", pa.string()),
            _field("ts", TIMESTAMP),
            _field("entity", pa.string()),
            _field("model_version", pa.int64()),
            _field("route", pa.string()),
            _field("score", pa.float64()),
            _field("decision", pa.bool_()),
            _field("latency_ms", pa.float64(), required=False),
            _field("raw_input", pa.string()),
            _field("features", pa.string()),
            # the team's own version label, for a model served outside watchkeeper
            _field("model_label", pa.string(), required=False),
        ]
    ),
    time_column="ts",
    key_columns=("event_id",),
    duplicate_policy=DuplicatePolicy.FIRST_ARRIVAL,
    json_columns=("raw_input", "features"),
)

SERVED_PREDICTION_SCHEMA = pa.schema(
    [field for field in PREDICTIONS.schema if field.name != "model_label"]
)
"""The prediction columns watchkeeper's own scorers fill: all but the team's version label."""

OUTCOMES = EventTableDefinition(
    name="outcomes",
    schema=pa.schema(
        [
            _field("event_id", pa.string()),
            _field("outcome", pa.string()),
            _field("outcome_ts", TIMESTAMP),
            _field("amount", pa.float64(), required=False),
            _field("received_at", TIMESTAMP),
        ]
    ),
    time_column="outcome_ts",
    key_columns=("event_id",),
    duplicate_policy=DuplicatePolicy.LATEST_ARRIVAL,
    received_column="received_at",
)

REJECTION_REASONS = (
    "missing_field",
    "wrong_type",
    "out_of_range",
    "not_allowed",
    "not_finite",
    "bad_timestamp",
    "unknown_field",
    "malformed_json",
    "too_large",
    "too_long",
    "unstorable_text",
    "not_json",
    "too_slow",
    "unknown_class",
    "bad_probabilities",
    "conflicting_duplicate",
)
"""The usual reason codes of a rejection (the table accepts any short code): ``not_finite``
a NaN or infinite number, ``out_of_range`` a number outside its declared bounds,
``not_allowed`` a value outside an input's declared ``allowed`` list (or a binary outcome
not among the label's values), ``unknown_class`` a class not in ``label.classes``."""

REJECTION_SOURCES = ("score", "score_batch", "outcomes", "predictions", "logger")
"""Where a rejection happened: the scoring route, the batch route, outcomes, logged
predictions posted over HTTP, a logger."""

REJECTIONS = EventTableDefinition(
    name="rejections",
    schema=pa.schema(
        [
            # unique per rejection: the key, so distinct rejections never collapse
            _field("rejection_id", pa.string()),
            # the event's time if it parsed, else (left empty) the receiving clock's now
            _field("ts", TIMESTAMP),
            _field("event_id", pa.string(), required=False),
            _field("reason", pa.string()),
            _field("field", pa.string(), required=False),
            _field("detail", pa.string(), required=False),
            _field("source", pa.string()),
        ]
    ),
    time_column="ts",
    key_columns=("rejection_id",),
    duplicate_policy=DuplicatePolicy.FIRST_ARRIVAL,
    received_column="ts",  # an event whose time did not parse is dated by the store's clock
    storable_text=True,  # a refused event's text is kept even when UTF-8 cannot encode it
)

EVENT_TABLES: Mapping[str, EventTableDefinition] = MappingProxyType(
    {
        definition.name: definition
        for definition in (TRANSACTIONS, PREDICTIONS, OUTCOMES, REJECTIONS)
    }
)
"""The tables every watchkeeper event store holds, by name."""


def event_table(
    name: str, tables: Mapping[str, EventTableDefinition] = EVENT_TABLES
) -> EventTableDefinition:
    """Return the definition of table ``name``; an unknown name raises :class:`SchemaError`.

    >>> event_table("predictions").json_columns
    ('raw_input', 'features')
    >>> event_table("clicks")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: unknown event table 'clicks' (known: outcomes, predictions, rejections, transactions)
    """
    try:
        return tables[name]
    except KeyError:
        known = ", ".join(sorted(tables))
        raise SchemaError(f"unknown event table {name!r} (known: {known})") from None


__all__ = [
    "ARRIVAL_SEQUENCE_COLUMN",
    "EVENT_DATE_COLUMN",
    "EVENT_TABLES",
    "OUTCOMES",
    "PREDICTIONS",
    "REJECTIONS",
    "REJECTION_REASONS",
    "REJECTION_SOURCES",
    "SERVED_PREDICTION_SCHEMA",
    "STORE_COLUMNS",
    "TIMESTAMP",
    "TRANSACTIONS",
    "DuplicatePolicy",
    "EventTableDefinition",
    "event_table",
]
