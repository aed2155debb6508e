"""The feature specification: the raw input schema and the features, declared once.

A :class:`FeatureSpec` comes from the workspace file (:meth:`FeatureSpec.from_workspace_config`)
or is built from Python objects; both engines and the fit read only this object. It is a
frozen pydantic model with a content hash, so two equal specs are recognisably equal.

>>> spec = FeatureSpec(
...     inputs={"ts": {"type": "timestamp", "required": True},
...             "card_id": {"type": "string", "required": True},
...             "amount": {"type": "float", "min": 0}},
...     transforms=[{"name": "log_amount", "op": "log1p", "input": "amount", "fill": 0.0},
...                 {"name": "card_count_1h", "op": "count", "by": "card_id", "window": "1h"}],
... )
>>> [feature.name for feature in spec.windowed_features]
['card_count_1h']
>>> spec.longest_window
datetime.timedelta(seconds=3600)
>>> len(spec.content_hash)
64
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Self

from pydantic import Field, model_validator

from watchkeeper.config.base import Section
from watchkeeper.config.features import FeaturesConfig, InputField, TransformConfig
from watchkeeper.errors import FeatureError
from watchkeeper.features.canonical import canonical_json, content_hash
from watchkeeper.features.outputs import fill_value

if TYPE_CHECKING:
    from watchkeeper.config import KeysConfig, WorkspaceConfig

MICROSECONDS_PER_SECOND = 1_000_000


def window_microseconds(window: timedelta) -> int:
    """A window length in whole microseconds, the engines' unit of time.

    >>> window_microseconds(timedelta(hours=1))
    3600000000
    """
    return window // timedelta(microseconds=1)


class FeatureSpec(Section):
    """Raw inputs and features, with the names of the event id and event time columns.

    ``inputs`` must declare every field a feature reads, and ``timestamp`` as a field of type
    ``timestamp``; the event time is always required. ``timezone`` is where timestamp parts
    (hour, weekday, day of month, weekend) are read.
    """

    event_id: str = "event_id"
    timestamp: str = "ts"
    timezone: str = "UTC"
    inputs: dict[str, InputField] = Field(min_length=1)
    transforms: tuple[TransformConfig, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # The checks of the workspace section (names, reads, types, time zone) apply as they are.
        FeaturesConfig(timezone=self.timezone, inputs=self.inputs, transforms=list(self.transforms))
        declared = self.inputs.get(self.timestamp)
        if declared is None or declared.type != "timestamp":
            raise ValueError(
                f"the event time {self.timestamp!r} must be declared among the inputs "
                "with type timestamp"
            )
        for feature in self.transforms:
            fill_value(feature, self.inputs)  # raises ValueError when fill does not fit
        return self

    @classmethod
    def from_config(cls, features: FeaturesConfig, keys: KeysConfig | None = None) -> FeatureSpec:
        """Build the spec from the workspace's ``features:`` section (and its ``keys:``)."""
        event_id = keys.event_id if keys is not None else "event_id"
        timestamp = features.timestamp or (keys.event_time if keys is not None else "ts")
        try:
            return cls(
                event_id=event_id,
                timestamp=timestamp,
                timezone=features.timezone,
                inputs=features.inputs,
                transforms=tuple(features.transforms),
            )
        except ValueError as error:
            raise FeatureError(f"features: {_first_message(error)}") from None

    @classmethod
    def from_workspace_config(cls, config: WorkspaceConfig) -> FeatureSpec:
        """Build the spec from a loaded workspace file."""
        return cls.from_config(config.features, config.keys)

    @property
    def stateless_features(self) -> tuple[TransformConfig, ...]:
        """Features computed from the event alone."""
        return tuple(feature for feature in self.transforms if not feature.is_windowed)

    @property
    def windowed_features(self) -> tuple[TransformConfig, ...]:
        """Per-key aggregates over earlier events."""
        return tuple(feature for feature in self.transforms if feature.is_windowed)

    @property
    def group_keys(self) -> tuple[str, ...]:
        """The distinct ``by`` fields, in declaration order."""
        keys: dict[str, None] = {}
        for feature in self.windowed_features:
            assert feature.by is not None
            keys[feature.by] = None
        return tuple(keys)

    @property
    def longest_window(self) -> timedelta:
        """The longest window of any feature (zero when there is none)."""
        windows = [feature.window for feature in self.transforms if feature.window is not None]
        return max(windows, default=timedelta(0))

    def canonical_json(self) -> str:
        """The spec as canonical JSON text."""
        return canonical_json(self.model_dump(mode="json"))

    @property
    def content_hash(self) -> str:
        """The sha256 of :meth:`canonical_json`."""
        return content_hash(self.canonical_json())


def _first_message(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        location = ".".join(str(part) for part in first.get("loc", ()))
        message = str(first.get("msg", error)).removeprefix("Value error, ")
        return f"{location}: {message}" if location else message
    return str(error)


__all__ = ["MICROSECONDS_PER_SECOND", "FeatureSpec", "window_microseconds"]
