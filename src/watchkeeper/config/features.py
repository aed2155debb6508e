"""The ``features:`` section: raw input schema and feature definitions.

One definition serves both feature engines (batch for training, online for serving).

>>> spec = FeaturesConfig.model_validate({
...     "inputs": {"amount": {"type": "float", "min": 0, "required": True}},
...     "transforms": [{"name": "log_amount", "op": "log1p", "input": "amount", "fill": 0.0}],
... })
>>> spec.transforms[0].op
'log1p'
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, Self, get_args

from pydantic import Field, model_validator

from watchkeeper.config.base import Section
from watchkeeper.durations import Duration

FieldType = Literal["float", "int", "string", "category", "bool", "timestamp"]
StatelessOperation = Literal[
    "identity",
    "fill_missing",
    "clip",
    "log1p",
    "standardize",
    "bucketize",
    "encode",
    "hour_of_day",
    "day_of_week",
    "day_of_month",
    "is_weekend",
    "ratio",
    "custom",
]
WindowedOperation = Literal[
    "count", "sum", "mean", "min", "max", "std", "count_distinct", "time_since_last"
]
STATELESS_OPERATIONS: frozenset[str] = frozenset(get_args(StatelessOperation))
WINDOWED_OPERATIONS: frozenset[str] = frozenset(get_args(WindowedOperation))
_NEEDS_NO_INPUT = frozenset({"count", "time_since_last", "custom"})
_NEEDS_NO_WINDOW = frozenset({"time_since_last"})


class InputField(Section):
    """One raw input field with its type and constraints, checked at the edge."""

    type: FieldType
    required: bool = False
    min: float | None = None
    max: float | None = None
    allowed: list[str | int | bool] | None = None

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class TransformConfig(Section):
    """One feature: a stateless transform of the input or a windowed aggregate per key."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    op: StatelessOperation | WindowedOperation
    input: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    fill: float | str | None = None
    lower: float | None = None
    upper: float | None = None
    boundaries: list[float] | None = None
    method: Literal["ordinal", "one_hot", "frequency"] | None = None
    top_k: int | None = Field(default=None, ge=1)
    by: str | None = None
    window: Duration | None = None
    function: str | None = Field(default=None, pattern=r"^[\w.]+:[\w]+$")

    @property
    def is_windowed(self) -> bool:
        """True for per-key aggregates over an event-time window."""
        return self.op in WINDOWED_OPERATIONS

    @model_validator(mode="after")
    def _operation_has_its_arguments(self) -> Self:
        problems: list[str] = []
        if self.op in WINDOWED_OPERATIONS:
            if self.by is None:
                problems.append(f"op {self.op} needs 'by' (the key to group by)")
            if self.op not in _NEEDS_NO_WINDOW and self.window is None:
                problems.append(f"op {self.op} needs 'window' (e.g. 24h)")
            if self.window is not None and self.window <= timedelta(0):
                problems.append("window must be positive")
        if self.op == "ratio" and (self.numerator is None or self.denominator is None):
            problems.append("op ratio needs 'numerator' and 'denominator'")
        elif self.op == "custom" and self.function is None:
            problems.append("op custom needs 'function' as module:function")
        elif self.op == "encode" and self.method is None:
            problems.append("op encode needs 'method' (ordinal, one_hot or frequency)")
        elif self.op == "bucketize" and not self.boundaries:
            problems.append("op bucketize needs 'boundaries' (a sorted list of numbers)")
        elif self.op not in _NEEDS_NO_INPUT | {"ratio"} and self.input is None:
            problems.append(f"op {self.op} needs 'input' (the field it reads)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class FeaturesConfig(Section):
    """Raw input schema and the list of features, declared once for both engines."""

    entity: str | None = None
    timestamp: str | None = None
    timezone: str = "UTC"
    inputs: dict[str, InputField] = Field(default_factory=dict)
    transforms: list[TransformConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_are_unique_and_inputs_known(self) -> Self:
        seen: set[str] = set()
        for transform in self.transforms:
            if transform.name in seen:
                raise ValueError(f"feature name {transform.name!r} is declared twice")
            seen.add(transform.name)
        if self.inputs:
            known = set(self.inputs)
            for transform in self.transforms:
                for field in (
                    transform.input,
                    transform.numerator,
                    transform.denominator,
                    transform.by,
                ):
                    if field is not None and field not in known:
                        raise ValueError(
                            f"feature {transform.name!r} reads {field!r}, which is not among the "
                            f"inputs ({', '.join(sorted(known))})"
                        )
        return self


__all__ = [
    "STATELESS_OPERATIONS",
    "WINDOWED_OPERATIONS",
    "FeaturesConfig",
    "FieldType",
    "InputField",
    "TransformConfig",
]
