"""The computation plan both engines follow, built once from a fitted spec.

Stateless features become :class:`~watchkeeper.features.row_feature.RowFeature` objects;
windowed features are grouped by their ``by`` key into :class:`WindowGroup` objects, which
say which fields need running totals (sum, mean, std) and which need their values kept
(min, max, count_distinct, count of a field) in the online state.

Window semantics (both engines): for an event at time ``t`` the window of length ``w`` holds
the earlier events of the same key — an earlier timestamp, or the same timestamp and an
earlier arrival — with timestamp ``>= t - w``; the event itself is excluded. Aggregates over
a field skip its missing values. ``count`` counts events (or the present values of
``input``), ``sum`` of nothing is 0, ``mean``/``min``/``max`` of nothing are missing,
``std`` is the sample standard deviation (ddof 1, missing below two values),
``count_distinct`` counts distinct present values, and ``time_since_last`` is the seconds
since the key's previous event (missing for its first). An event whose key is missing gets
missing windowed features and enters no window. ``fill`` replaces any missing result.

>>> from watchkeeper.features.fitted import FittedFeatureSpec
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(inputs={"ts": {"type": "timestamp"}, "card": {"type": "string"},
...                            "amount": {"type": "float"}},
...                    transforms=[{"name": "m", "op": "mean", "input": "amount", "by": "card",
...                                 "window": "1h"},
...                                {"name": "x", "op": "max", "input": "amount", "by": "card",
...                                 "window": "1d"}])
>>> plan = FeaturePlan.build(FittedFeatureSpec(spec=spec, training_rows=0))
>>> group = plan.groups[0]
>>> group.key, group.summed_fields, group.value_fields, group.longest_window
('card', ('amount',), ('amount',), 86400000000)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from watchkeeper.features.custom import CustomFeature
from watchkeeper.features.encoding import EncodingFeature
from watchkeeper.features.outputs import OutputColumn, fill_value
from watchkeeper.features.spec import window_microseconds
from watchkeeper.features.stateless import NumericFeature, PassThroughFeature
from watchkeeper.features.time_parts import TimePartFeature

if TYPE_CHECKING:
    from watchkeeper.config import TransformConfig
    from watchkeeper.features.fitted import FittedFeatureSpec
    from watchkeeper.features.row_feature import RowFeature

SUMMED_OPERATIONS = frozenset({"sum", "mean", "std"})
VALUE_OPERATIONS = frozenset({"min", "max", "count_distinct", "count"})


@dataclass(frozen=True)
class WindowFeature:
    """One windowed feature, resolved: window in microseconds, fill in the output type."""

    name: str
    operation: str
    input: str | None
    window: int
    fill: Any
    integer_input: bool


@dataclass(frozen=True)
class WindowGroup:
    """The windowed features sharing one ``by`` key, and what their state must keep."""

    key: str
    features: tuple[WindowFeature, ...]
    longest_window: int
    summed_fields: tuple[str, ...]
    value_fields: tuple[str, ...]

    @property
    def windows(self) -> tuple[int, ...]:
        """The distinct window lengths (microseconds) of this group."""
        return tuple(sorted({feature.window for feature in self.features if feature.window}))


@dataclass(frozen=True)
class FeaturePlan:
    """Everything both engines need, resolved once from a fitted spec."""

    fitted: FittedFeatureSpec
    row_features: tuple[RowFeature, ...]
    groups: tuple[WindowGroup, ...]
    columns: tuple[OutputColumn, ...]

    @classmethod
    def build(cls, fitted: FittedFeatureSpec) -> FeaturePlan:
        """Resolve ``fitted`` into a plan (imports custom functions)."""
        spec = fitted.spec
        row_features = tuple(
            _row_feature(feature, fitted) for feature in spec.transforms if not feature.is_windowed
        )
        groups = tuple(_group(key, fitted) for key in spec.group_keys)
        return cls(
            fitted=fitted, row_features=row_features, groups=groups, columns=fitted.output_columns
        )

    @property
    def column_names(self) -> tuple[str, ...]:
        """Output column names in declaration order."""
        return tuple(column.name for column in self.columns)


def _row_feature(feature: TransformConfig, fitted: FittedFeatureSpec) -> RowFeature:
    spec = fitted.spec
    fill = fill_value(feature, spec.inputs)
    operation = feature.op
    if operation in ("identity", "fill_missing"):
        return PassThroughFeature(feature, fill)
    if operation == "encode":
        return EncodingFeature(feature, fitted.vocabulary(feature.name))
    if operation in ("hour_of_day", "day_of_week", "day_of_month", "is_weekend"):
        return TimePartFeature(feature, spec.timezone, fill)
    if operation == "custom":
        assert feature.function is not None
        return CustomFeature(feature.name, feature.function, tuple(spec.inputs), fill)
    standardization = fitted.standardization(feature.name) if operation == "standardize" else None
    return NumericFeature(feature, fill, standardization)


def _group(key: str, fitted: FittedFeatureSpec) -> WindowGroup:
    spec = fitted.spec
    features = []
    summed: dict[str, None] = {}
    kept: dict[str, None] = {}
    for feature in spec.windowed_features:
        if feature.by != key:
            continue
        window = window_microseconds(feature.window) if feature.window is not None else 0
        integer_input = feature.input is not None and spec.inputs[feature.input].type == "int"
        features.append(
            WindowFeature(
                name=feature.name,
                operation=feature.op,
                input=feature.input,
                window=window,
                fill=fill_value(feature, spec.inputs),
                integer_input=integer_input,
            )
        )
        if feature.input is not None:
            if feature.op in SUMMED_OPERATIONS:
                summed[feature.input] = None
            elif feature.op in VALUE_OPERATIONS:
                kept[feature.input] = None
    longest = max((feature.window for feature in features), default=0)
    return WindowGroup(
        key=key,
        features=tuple(features),
        longest_window=longest,
        summed_fields=tuple(summed),
        value_fields=tuple(kept),
    )


__all__ = ["SUMMED_OPERATIONS", "VALUE_OPERATIONS", "FeaturePlan", "WindowFeature", "WindowGroup"]
