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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
_NUMBERS = frozenset({"float", "int"})
_DISCRETE = frozenset({"string", "category", "int", "bool"})
_ANY_BUT_TIME = frozenset({"float", "int", "string", "category", "bool"})
_INPUT_TYPES: dict[str, frozenset[str]] = {
    "identity": _ANY_BUT_TIME,
    "fill_missing": _ANY_BUT_TIME,
    "clip": _NUMBERS,
    "log1p": _NUMBERS,
    "standardize": _NUMBERS,
    "bucketize": _NUMBERS,
    "encode": _DISCRETE,
    "hour_of_day": frozenset({"timestamp"}),
    "day_of_week": frozenset({"timestamp"}),
    "day_of_month": frozenset({"timestamp"}),
    "is_weekend": frozenset({"timestamp"}),
    "sum": _NUMBERS,
    "mean": _NUMBERS,
    "std": _NUMBERS,
    "min": _NUMBERS,
    "max": _NUMBERS,
    "count": _ANY_BUT_TIME | {"timestamp"},
    "count_distinct": _ANY_BUT_TIME,
}
"""Which input field types each operation reads."""


DEFAULT_MAX_LENGTH = 256
"""How many characters a string or category input may hold unless its ``max_length`` says."""


class InputField(Section):
    """One raw input field with its type and constraints, checked at the edge.

    ``max_length`` (string and category inputs): the most characters a value may hold
    (default :data:`DEFAULT_MAX_LENGTH`); a longer one is refused, never stored.

    >>> InputField(type="string").length_limit, InputField(type="string", max_length=8).length_limit
    (256, 8)
    """

    type: FieldType
    required: bool = False
    min: float | None = None
    max: float | None = None
    allowed: list[str | int | bool] | None = None
    max_length: int | None = Field(default=None, ge=1, exclude_if=lambda value: value is None)
    """Left out of the dump when unset, so a spec's canonical JSON and hash stay as before."""

    @property
    def length_limit(self) -> int:
        """The most characters a string value of this input may hold."""
        return self.max_length if self.max_length is not None else DEFAULT_MAX_LENGTH

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
            if self.op in _NEEDS_NO_WINDOW and self.window is not None:
                problems.append(f"op {self.op} takes no 'window' (it looks at the previous event)")
        if self.op == "fill_missing" and self.fill is None:
            problems.append("op fill_missing needs 'fill' (the value for a missing input)")
        if self.op == "clip" and self.lower is None and self.upper is None:
            problems.append("op clip needs 'lower', 'upper' or both")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            problems.append(f"lower ({self.lower}) is greater than upper ({self.upper})")
        if self.boundaries is not None and self.boundaries != sorted(set(self.boundaries)):
            problems.append("boundaries must be strictly increasing")
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

    def read_fields(self) -> tuple[str, ...]:
        """The input fields this feature reads (``by`` included), in a fixed order.

        >>> TransformConfig(name="r", op="ratio", numerator="a", denominator="b").read_fields()
        ('a', 'b')
        """
        fields = (self.input, self.numerator, self.denominator, self.by)
        return tuple(field for field in fields if field is not None)

    def type_problem(self, inputs: dict[str, InputField]) -> str | None:
        """Why this feature cannot read the declared ``inputs`` types, or None if it can."""
        accepted = _INPUT_TYPES.get(self.op)
        if accepted is not None and self.input is not None:
            declared = inputs[self.input].type
            if declared not in accepted:
                return (
                    f"op {self.op} cannot read {self.input!r} of type {declared} "
                    f"(it reads {', '.join(sorted(accepted))})"
                )
        for side in (self.numerator, self.denominator):
            if side is not None and inputs[side].type not in _NUMBERS:
                return f"op ratio reads numbers; {side!r} is of type {inputs[side].type}"
        if self.by is not None and inputs[self.by].type not in _DISCRETE:
            return (
                f"'by' must name a string, category, int or bool field; "
                f"{self.by!r} is of type {inputs[self.by].type}"
            )
        return None


class FeaturesConfig(Section):
    """Raw input schema and the list of features, declared once for both engines.

    ``timezone`` is an IANA name (``Europe/Berlin``); timestamp parts are taken there.
    ``retired``: inputs taken out of use whose column stays in the event store (Delta keeps
    a column's old values; new events leave it empty and may no longer send it).
    """

    entity: str | None = None
    timestamp: str | None = None
    timezone: str = "UTC"
    inputs: dict[str, InputField] = Field(default_factory=dict)
    transforms: list[TransformConfig] = Field(default_factory=list)
    retired: list[str] = Field(default_factory=list, exclude_if=lambda names: not names)
    """Left out of the dump when empty, so a spec's canonical JSON and hash stay as before."""

    @model_validator(mode="after")
    def _names_are_unique_and_inputs_known(self) -> Self:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"timezone {self.timezone!r} is not a known IANA time zone (e.g. UTC, Europe/Berlin)"
            ) from None
        both = sorted(set(self.retired) & set(self.inputs))
        if both:
            raise ValueError(
                f"{', '.join(map(repr, both))} is both an input and retired: keep one of the two"
            )
        seen: set[str] = set()
        for transform in self.transforms:
            if transform.name in seen:
                raise ValueError(f"feature name {transform.name!r} is declared twice")
            seen.add(transform.name)
        if self.inputs:
            known = set(self.inputs)
            for transform in self.transforms:
                for field in transform.read_fields():
                    if field not in known:
                        raise ValueError(
                            f"feature {transform.name!r} reads {field!r}, which is not among the "
                            f"inputs ({', '.join(sorted(known))})"
                        )
                problem = transform.type_problem(self.inputs)
                if problem is not None:
                    raise ValueError(f"feature {transform.name!r}: {problem}")
        return self


__all__ = [
    "DEFAULT_MAX_LENGTH",
    "STATELESS_OPERATIONS",
    "WINDOWED_OPERATIONS",
    "FeaturesConfig",
    "FieldType",
    "InputField",
    "TransformConfig",
]
