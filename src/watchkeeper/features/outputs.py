"""What each feature writes: its output columns, their types, and how ``fill`` applies.

A feature writes one column named as declared, except a one-hot encoding, which writes one
column per vocabulary value (``name=value``) and two explicit buckets (``name:unseen`` and
``name:missing``). ``fill`` is the value a feature takes where it would otherwise be missing
(a missing input, an empty window, a zero denominator); it must suit the output type.

>>> from watchkeeper.config import InputField, TransformConfig
>>> inputs = {"amount": InputField(type="float"), "card": InputField(type="string")}
>>> output_type(TransformConfig(name="n", op="count", by="card", window="1h"), inputs)
Int64
>>> output_type(TransformConfig(name="m", op="max", input="amount", by="card", window="1h"), inputs)
Float64
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Mapping

    from watchkeeper.config import InputField, TransformConfig

_BY_INPUT_TYPE: dict[str, pl.DataType] = {
    "float": pl.Float64(),
    "int": pl.Int64(),
    "string": pl.String(),
    "category": pl.String(),
    "bool": pl.Boolean(),
}
_INTEGER_OPERATIONS = frozenset(
    {
        "bucketize",
        "hour_of_day",
        "day_of_week",
        "day_of_month",
        "is_weekend",
        "count",
        "count_distinct",
    }
)
UNSEEN_SUFFIX = ":unseen"
MISSING_SUFFIX = ":missing"


@dataclass(frozen=True)
class OutputColumn:
    """One output column: its name and Polars type."""

    name: str
    dtype: pl.DataType


def output_type(feature: TransformConfig, inputs: Mapping[str, InputField]) -> pl.DataType:
    """The type of the column(s) ``feature`` writes."""
    operation = feature.op
    if operation in ("identity", "fill_missing"):
        assert feature.input is not None
        return _BY_INPUT_TYPE[inputs[feature.input].type]
    if operation in ("min", "max"):
        assert feature.input is not None
        return pl.Int64() if inputs[feature.input].type == "int" else pl.Float64()
    if operation in _INTEGER_OPERATIONS:
        return pl.Int64()
    if operation == "encode":
        return pl.Float64() if feature.method == "frequency" else pl.Int64()
    return pl.Float64()


def fill_value(feature: TransformConfig, inputs: Mapping[str, InputField]) -> Any:
    """``feature.fill`` in the feature's output type, or None; a mismatch raises ValueError.

    >>> from watchkeeper.config import InputField, TransformConfig
    >>> fill_value(TransformConfig(name="h", op="hour_of_day", input="ts", fill=0.0),
    ...            {"ts": InputField(type="timestamp")})
    0
    """
    fill = feature.fill
    if fill is None:
        return None
    dtype = output_type(feature, inputs)
    if dtype == pl.String:
        if not isinstance(fill, str):
            raise ValueError(f"feature {feature.name!r}: fill must be a string (got {fill!r})")
        return fill
    if isinstance(fill, str):
        raise ValueError(f"feature {feature.name!r}: fill must be a number (got {fill!r})")
    if dtype == pl.Boolean:
        if fill not in (0, 1):
            raise ValueError(f"feature {feature.name!r}: fill must be 0 or 1 (got {fill!r})")
        return bool(fill)
    if dtype == pl.Int64:
        if not float(fill).is_integer():
            raise ValueError(
                f"feature {feature.name!r}: fill must be a whole number (got {fill!r})"
            )
        return int(fill)
    return float(fill)


def one_hot_columns(name: str, vocabulary: list[Any]) -> list[str]:
    """The columns of a one-hot encoding: one per value, then the unseen and missing buckets.

    >>> one_hot_columns("channel", ["online", "card_present"])
    ['channel=online', 'channel=card_present', 'channel:unseen', 'channel:missing']
    """
    return [f"{name}={_label(value)}" for value in vocabulary] + [
        name + UNSEEN_SUFFIX,
        name + MISSING_SUFFIX,
    ]


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = [
    "MISSING_SUFFIX",
    "UNSEEN_SUFFIX",
    "OutputColumn",
    "fill_value",
    "one_hot_columns",
    "output_type",
]
