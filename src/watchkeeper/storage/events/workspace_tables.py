"""The event tables of one workspace, derived from its keys, inputs and task.

The raw-event table (``transactions``) holds the workspace's key columns and every input
of ``features.inputs`` with its declared type; ``predictions`` and ``outcomes`` hold the
columns of the model's task:

* binary: ``score`` (the probability of a positive) and ``decision`` (flagged or not);
  an ``outcome`` is a string (the positive outcome, or a negative one);
* multiclass: ``probabilities`` (a JSON object, class -> probability), ``score`` (the
  probability of the decided class) and ``decision`` (the decided class); an ``outcome``
  is a class name;
* regression: ``prediction`` (the predicted number); an ``outcome`` is a number.

A binary workspace's ``predictions`` and ``outcomes`` are exactly the default tables of
:mod:`watchkeeper.storage.events.tables`, so a workspace created before tasks existed reads
and writes them unchanged.

>>> from watchkeeper.config import WorkspaceConfig
>>> config = WorkspaceConfig.model_validate({
...     "model": {"name": "demand", "task": "regression"},
...     "owner": {"name": "Ana", "contact": "ana@example.com"},
...     "keys": {"entity": "store_item"},
...     "features": {"inputs": {"store_item": {"type": "string", "required": True},
...                             "price": {"type": "float"}}}})
>>> tables = event_tables_for(config)
>>> tables["transactions"].schema.names
['event_id', 'ts', 'store_item', 'price']
>>> tables["predictions"].schema.field("prediction").type, tables["outcomes"].schema.field("outcome").type
(DataType(double), DataType(double))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING

import pyarrow as pa

from watchkeeper.errors import SchemaError
from watchkeeper.storage.events.tables import (
    EVENT_TABLES,
    OUTCOMES,
    PREDICTIONS,
    TIMESTAMP,
    DuplicatePolicy,
    EventTableDefinition,
)

if TYPE_CHECKING:
    from watchkeeper.config import WorkspaceConfig
    from watchkeeper.config.features import InputField

INPUT_ARROW_TYPES: Mapping[str, pa.DataType] = MappingProxyType(
    {
        "float": pa.float64(),
        "int": pa.int64(),
        "string": pa.string(),
        "category": pa.string(),
        "bool": pa.bool_(),
        "timestamp": TIMESTAMP,
    }
)
"""The stored type of each input type of ``features.inputs``."""

_TASK_PREDICTION_COLUMNS: Mapping[str, tuple[pa.Field, ...]] = MappingProxyType(
    {
        "binary": (
            pa.field("score", pa.float64(), nullable=False),
            pa.field("decision", pa.bool_(), nullable=False),
        ),
        "multiclass": (
            pa.field("probabilities", pa.string(), nullable=False),
            pa.field("score", pa.float64(), nullable=False),
            pa.field("decision", pa.string(), nullable=False),
        ),
        "regression": (pa.field("prediction", pa.float64(), nullable=False),),
    }
)

_OUTCOME_TYPES: Mapping[str, pa.DataType] = MappingProxyType(
    {"binary": pa.string(), "multiclass": pa.string(), "regression": pa.float64()}
)


def prediction_columns(task: str) -> tuple[pa.Field, ...]:
    """The columns a prediction of ``task`` carries beyond the common ones.

    >>> [field.name for field in prediction_columns("multiclass")]
    ['probabilities', 'score', 'decision']
    """
    try:
        return _TASK_PREDICTION_COLUMNS[task]
    except KeyError:
        known = ", ".join(_TASK_PREDICTION_COLUMNS)
        raise SchemaError(f"unknown model task {task!r} (known: {known})") from None


def predictions_table(task: str) -> EventTableDefinition:
    """The ``predictions`` table of a model of ``task``.

    >>> predictions_table("binary") == PREDICTIONS
    True
    >>> predictions_table("regression").json_columns
    ('raw_input', 'features')
    """
    if task == "binary":
        return PREDICTIONS
    task_columns = prediction_columns(task)
    fields: list[pa.Field] = []
    for field in PREDICTIONS.schema:
        if field.name == "score":
            fields.extend(task_columns)
        elif field.name != "decision":
            fields.append(field)
    names = {field.name for field in fields}
    json_columns = tuple(
        name for name in ("probabilities", *PREDICTIONS.json_columns) if name in names
    )
    return replace(PREDICTIONS, schema=pa.schema(fields), json_columns=json_columns)


def outcomes_table(task: str) -> EventTableDefinition:
    """The ``outcomes`` table of a model of ``task``: ``outcome`` is a number for regression.

    >>> outcomes_table("multiclass") == OUTCOMES
    True
    """
    prediction_columns(task)  # names an unknown task
    outcome_type = _OUTCOME_TYPES[task]
    if outcome_type == OUTCOMES.schema.field("outcome").type:
        return OUTCOMES
    index = OUTCOMES.schema.get_field_index("outcome")
    schema = OUTCOMES.schema.set(index, pa.field("outcome", outcome_type, nullable=False))
    return replace(OUTCOMES, schema=schema)


def events_table(
    event_id: str,
    event_time: str,
    entity: str,
    inputs: Mapping[str, InputField],
    retired: tuple[str, ...] = (),
) -> EventTableDefinition:
    """The raw-event table: the key columns, then every input with its declared type.

    A key the inputs do not declare is added as a required column (the event time as a
    timestamp, the others as strings). The event time, where declared, must be a timestamp.

    >>> from watchkeeper.config.features import InputField
    >>> table = events_table("id", "at", "user", {"plan": InputField(type="category")})
    >>> [(field.name, str(field.type), field.nullable) for field in table.schema]
    [('id', 'string', False), ('at', 'timestamp[us, tz=UTC]', False), ('user', 'string', False), ('plan', 'string', True)]
    """
    declared = dict(inputs)
    time_field = declared.get(event_time)
    if time_field is not None and time_field.type != "timestamp":
        raise SchemaError(
            f"features.inputs.{event_time}: the event time (keys.event_time) must have "
            f"type timestamp, not {time_field.type}"
        )
    fields: list[pa.Field] = []
    for key in dict.fromkeys((event_id, event_time, entity)):
        field = declared.pop(key, None)
        data_type = TIMESTAMP if key == event_time else _stored_type(key, field)
        fields.append(pa.field(key, data_type, nullable=False))
    for name, field in declared.items():
        fields.append(pa.field(name, _stored_type(name, field), nullable=not field.required))
    return EventTableDefinition(
        name="transactions",
        schema=pa.schema(fields),
        time_column=event_time,
        key_columns=(event_id,),
        duplicate_policy=DuplicatePolicy.FIRST_ARRIVAL,
        retired=retired,
    )


def _stored_type(name: str, field: InputField | None) -> pa.DataType:
    if field is None:
        return pa.string()
    return INPUT_ARROW_TYPES[field.type]


def event_tables_for(config: WorkspaceConfig) -> Mapping[str, EventTableDefinition]:
    """Every event table of the workspace ``config`` describes, by name."""
    keys, task = config.keys, config.model.task
    tables = dict(EVENT_TABLES)
    tables["transactions"] = events_table(
        keys.event_id,
        keys.event_time,
        keys.entity,
        config.features.inputs,
        tuple(config.features.retired),
    )
    tables["predictions"] = predictions_table(task)
    tables["outcomes"] = outcomes_table(task)
    return MappingProxyType(tables)


__all__ = [
    "INPUT_ARROW_TYPES",
    "event_tables_for",
    "events_table",
    "outcomes_table",
    "prediction_columns",
    "predictions_table",
]
