"""What may change between a stored event table and the workspace's definition of it.

Event tables are append-only history, so their schema may only grow:

* a column the definition adds as optional (nullable) is added to the stored table (Delta
  schema evolution: one ``ADD COLUMNS`` commit, which the table's history keeps as the
  audit of the change); older rows read it as empty;
* a column added as required is refused: every older row would break the requirement;
* a stored column the definition no longer declares is refused, unless the definition
  lists it as ``retired`` (then it stays, and new rows leave it empty);
* a column whose type changed is refused: older rows hold the old type.

Each refusal names the table, the column and the fix.

>>> import pyarrow as pa
>>> from watchkeeper.storage.events.tables import event_table
>>> outcomes = event_table("outcomes")
>>> stored = outcomes.stored_schema.remove(outcomes.stored_schema.get_field_index("amount"))
>>> [field.name for field in added_columns(outcomes, stored)]
['amount']
"""

from __future__ import annotations

import pyarrow as pa

from watchkeeper.errors import SchemaError
from watchkeeper.storage.events.tables import STORE_COLUMNS, EventTableDefinition

_FIX_REMOVED = (
    "put it back among the inputs (required: false), or list it under features.retired "
    "to keep its history without accepting it any more"
)


def added_columns(definition: EventTableDefinition, stored: pa.Schema) -> tuple[pa.Field, ...]:
    """The optional columns ``definition`` declares that ``stored`` lacks, in order.

    Raises :class:`SchemaError` for any change the table cannot take: a new required
    column, a stored column no longer declared (and not retired), a changed type.

    >>> from watchkeeper.storage.events.tables import event_table
    >>> outcomes = event_table("outcomes")
    >>> retyped = outcomes.stored_schema.set(0, pa.field("event_id", pa.int64()))
    >>> added_columns(outcomes, retyped)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.SchemaError: table 'outcomes': column 'event_id' is stored as int64 but now declared string; a column's type cannot change in an event table (its older rows hold the old type): keep the type, or add the new one under another name and retire this one
    """
    declared = {field.name: field for field in definition.stored_schema}
    kept = set(definition.retired) | set(STORE_COLUMNS)
    for field in stored:
        wanted = declared.get(field.name)
        if wanted is None:
            if field.name not in kept:
                raise SchemaError(
                    f"table {definition.name!r}: column {field.name!r} ({field.type}) is in "
                    f"the stored table but no longer declared: {_FIX_REMOVED}"
                )
        elif not _same_type(wanted.type, field.type):
            raise SchemaError(
                f"table {definition.name!r}: column {field.name!r} is stored as {field.type} "
                f"but now declared {wanted.type}; a column's type cannot change in an event "
                "table (its older rows hold the old type): keep the type, or add the new one "
                "under another name and retire this one"
            )
    stored_names = set(stored.names)
    new = [field for field in definition.stored_schema if field.name not in stored_names]
    required = [field.name for field in new if not field.nullable]
    if required:
        raise SchemaError(
            f"table {definition.name!r}: new column(s) {', '.join(map(repr, required))} are "
            "declared required, but the stored rows have no value for them: declare them "
            "required: false"
        )
    return tuple(new)


def _same_type(declared: pa.DataType, stored: pa.DataType) -> bool:
    # Delta reads strings back as large strings on some versions: the same logical type
    if declared == stored:
        return True
    strings = (pa.string(), pa.large_string(), pa.string_view())
    return declared in strings and stored in strings


__all__ = ["added_columns"]
