"""Posted predictions (JSON objects) as one Polars frame of known columns and types.

``POST /v1/predictions`` checks its rows with the shared checks of logged predictions
(:func:`~watchkeeper.intake.prediction_checks.check_predictions`), which take a frame. JSON
gives every value its own type, so the frame is built here with one declared type per column
(:func:`frame_columns`): a value whose JSON type does not fit its column (``"lots"`` for a
number, ``1`` for ``true``, a list for a string) refuses its row, naming the field, instead
of failing the frame or being coerced. As for ``/v1/score``, nothing is converted: a number
sent as text is not a number.

What only JSON rows need is checked here too, per row: text of the fields that are not
inputs no longer than :data:`~watchkeeper.config.features.DEFAULT_MAX_LENGTH` (a version
label: :data:`~watchkeeper.storage.metadata.external_versions.MAX_LABEL_LENGTH`), class
probabilities that are an object of numbers, fields the workspace does not declare (dropped,
or refused with ``serving.unknown_fields: reject``) and an event time inside the service's
plausible range (:mod:`~watchkeeper.serving.event_time_range`). Everything else (inputs'
ranges, lengths and allowed values, sums of probabilities, classes) is the shared checks'
job.

>>> from watchkeeper.config import InputField
>>> from watchkeeper.intake.prediction_checks import PredictionRules
>>> rules = PredictionRules(task="regression", classes=(), inputs={"price": InputField(
...     type="float")}, event_id="event_id", event_time="ts", entity="store")
>>> built = prediction_frame([
...     {"event_id": "a", "ts": "2026-01-05", "store": "s1", "price": 2, "prediction": 10.5},
...     {"event_id": "b", "ts": "2026-01-05", "store": "s1", "price": "2", "prediction": 3.0},
... ], frame_columns(rules))
>>> built.frame["price"].to_list(), built.positions
([2.0], [0])
>>> built.refused[0]
RowRefusal(index=1, event_id='b', field='price', reason='wrong_type', detail="expected a number (got '2')")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import polars as pl

from watchkeeper.config.features import DEFAULT_MAX_LENGTH
from watchkeeper.errors import InvalidInputError
from watchkeeper.features.schema_validation import check_length, parse_timestamp
from watchkeeper.intake.prediction_checks import LATENCY, MODEL_LABEL, PredictionRules
from watchkeeper.intake.reason_codes import rejection_reason
from watchkeeper.quoting import quoted
from watchkeeper.serving.event_time_range import TimeRange
from watchkeeper.serving.request_body import json_number
from watchkeeper.storage.metadata.external_versions import MAX_LABEL_LENGTH

JsonKind = Literal["number", "integer", "string", "boolean", "probabilities"]
"""What JSON value a column takes: ``probabilities`` is an object of class -> number."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_DTYPES: Mapping[JsonKind, pl.DataType] = {
    "number": pl.Float64(),
    "integer": pl.Int64(),
    "string": pl.String(),
    "boolean": pl.Boolean(),
    "probabilities": pl.String(),  # JSON text, as the shared checks read a file's column
}
_INPUT_KINDS: Mapping[str, JsonKind] = {
    "float": "number",
    "int": "integer",
    "string": "string",
    "category": "string",
    "bool": "boolean",
    "timestamp": "string",  # ISO-8601 text, parsed by the shared checks
}
_TASK_KINDS: Mapping[str, Mapping[str, JsonKind]] = {
    "binary": {"score": "number", "decision": "boolean"},
    "multiclass": {"probabilities": "probabilities", "decision": "string"},
    "regression": {"prediction": "number"},
}


@dataclass(frozen=True)
class FrameColumn:
    """One column of posted predictions: the JSON value it takes and the longest text
    (None: an input, whose length the shared checks hold to its ``max_length``)."""

    kind: JsonKind
    max_length: int | None = DEFAULT_MAX_LENGTH


@dataclass(frozen=True)
class RowRefusal:
    """A posted prediction refused: its position in the body, its event id when it had one,
    the field at fault, the reason code and the message."""

    index: int
    event_id: str | None
    field: str | None
    reason: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form an answer lists."""
        return {
            "index": self.index,
            "event_id": self.event_id,
            "field": self.field,
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class PredictionFrame:
    """The posted predictions that fit their columns, as a frame; ``positions``: each frame
    row's position in the body; ``refused``: the others; ``unknown_fields``: how many fields
    nobody declared were dropped."""

    frame: pl.DataFrame
    positions: list[int]
    refused: list[RowRefusal]
    unknown_fields: int = 0


def frame_columns(rules: PredictionRules) -> dict[str, FrameColumn]:
    """Every column a posted prediction of ``rules``' workspace may hold, in frame order.

    >>> from watchkeeper.config import InputField
    >>> rules = PredictionRules(task="binary", classes=(), inputs={"n": InputField(type="int")},
    ...     event_id="id", event_time="at", entity="user")
    >>> {name: column.kind for name, column in frame_columns(rules).items()}
    {'id': 'string', 'at': 'string', 'user': 'string', 'n': 'integer', 'model_label': 'string', 'latency_ms': 'number', 'score': 'number', 'decision': 'boolean'}
    """
    columns = {name: FrameColumn("string") for name in (rules.event_id, rules.event_time)}
    columns[rules.entity] = FrameColumn("string")
    for name, field in rules.inputs.items():
        columns[name] = FrameColumn(_INPUT_KINDS[field.type], None)
    columns[MODEL_LABEL] = FrameColumn("string", MAX_LABEL_LENGTH)
    columns[LATENCY] = FrameColumn("number")
    columns.update({name: FrameColumn(kind) for name, kind in _TASK_KINDS[rules.task].items()})
    return columns


def prediction_frame(
    items: Sequence[Any],
    columns: Mapping[str, FrameColumn],
    *,
    event_id: str = "event_id",
    event_time: str = "ts",
    time_range: TimeRange | None = None,
    reject_unknown: bool = False,
) -> PredictionFrame:
    """The frame of the ``items`` that fit ``columns`` (see the module); ``event_id`` and
    ``event_time`` name the items' id and time, ``time_range`` where their time must lie."""
    values: dict[str, list[Any]] = {name: [] for name in columns}
    positions: list[int] = []
    refused: list[RowRefusal] = []
    unknown = 0
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            shown = f"expected a JSON object (got a {type(item).__name__})"
            refused.append(RowRefusal(index, None, "predictions", "wrong_type", shown))
            continue
        extra = [name for name in item if name not in columns]
        unknown += len(extra)
        try:
            if extra and reject_unknown:
                raise InvalidInputError(extra[0], "unknown field (the schema does not declare it)")
            row = {name: _value(name, column, item.get(name)) for name, column in columns.items()}
            _check_time(event_time, row.get(event_time), time_range)
        except InvalidInputError as error:
            identifier = item.get(event_id)
            refused.append(
                RowRefusal(
                    index,
                    identifier if isinstance(identifier, str) else None,
                    error.field,
                    _reason(error),
                    error.reason,
                )
            )
            continue
        positions.append(index)
        for name, value in row.items():
            values[name].append(value)
    frame = pl.DataFrame(
        [
            pl.Series(name, values[name], dtype=_DTYPES[column.kind])
            for name, column in columns.items()
        ]
    )
    return PredictionFrame(frame, positions, refused, unknown)


def _value(name: str, column: FrameColumn, value: Any) -> Any:
    """``value`` as its column holds it; :class:`InvalidInputError` when its JSON type differs."""
    if value is None:
        return None
    kind = column.kind
    if kind == "number":
        number = json_number(value)
        if number is None:
            raise InvalidInputError(name, f"expected a number (got {quoted(value)})")
        if not math.isfinite(number):
            raise InvalidInputError(name, f"not a finite number (got {quoted(value)})")
        return number
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInputError(name, f"expected an integer (got {quoted(value)})")
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise InvalidInputError(name, f"outside the 64-bit integer range (got {quoted(value)})")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidInputError(name, f"expected true or false (got {quoted(value)})")
        return value
    if kind == "probabilities":
        return _probabilities(name, value)
    if not isinstance(value, str):
        raise InvalidInputError(name, f"expected a string (got {quoted(value)})")
    if column.max_length is not None:
        check_length(name, value, column.max_length)
    return value


def _probabilities(name: str, value: Any) -> str:
    """An object of class -> probability as JSON text; :class:`InvalidInputError` otherwise."""
    if not isinstance(value, dict):
        raise InvalidInputError(
            name, f"expected a JSON object of class probabilities (got {quoted(value)})"
        )
    for label, probability in value.items():
        check_length(name, label, DEFAULT_MAX_LENGTH)
        number = json_number(probability)
        if number is None or not math.isfinite(number):
            raise InvalidInputError(
                name,
                f"the probability of {quoted(label)} is not a number (got {quoted(probability)})",
            )
    return orjson.dumps(value).decode("utf-8")


def _check_time(name: str, value: Any, time_range: TimeRange | None) -> None:
    """Refuse an event time outside ``time_range``; one that does not parse is left to the
    shared checks, which name it."""
    if time_range is None or value is None:
        return
    try:
        moment = parse_timestamp(name, value)
    except InvalidInputError:
        return
    time_range.check(name, moment)


_PROBABILITY_REASON = "bad_probabilities"


def _reason(error: InvalidInputError) -> str:
    if "class probabilities" in error.reason or "the probability of" in error.reason:
        return _PROBABILITY_REASON
    if error.reason.startswith("outside the 64-bit integer range"):
        return "out_of_range"
    return rejection_reason(error.field, error.reason)


__all__ = [
    "FrameColumn",
    "JsonKind",
    "PredictionFrame",
    "RowRefusal",
    "frame_columns",
    "prediction_frame",
]
