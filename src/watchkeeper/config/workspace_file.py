"""The root of ``watchkeeper.yaml``: the model, its owner, keys, labels, storage and sections.

>>> config = WorkspaceConfig.model_validate({
...     "model": {"name": "fraud"},
...     "owner": {"name": "Dana Reyes", "contact": "dana@example.com"},
... })
>>> config.label.maturity_horizon.days
60
>>> config.storage.metadata
'sqlite:///.watchkeeper/metadata.db'
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from watchkeeper.config.base import Section
from watchkeeper.config.features import FeaturesConfig
from watchkeeper.config.lifecycle import (
    AlertsConfig,
    MonitoringConfig,
    RetrainingConfig,
    RolloutConfig,
    ServingConfig,
    TrainingConfig,
)
from watchkeeper.durations import Duration


class ModelConfig(Section):
    """The model this workspace keeps watch over."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)
    description: str = ""


class OwnerConfig(Section):
    """The named person who answers for the model after deployment."""

    name: str = Field(min_length=1)
    contact: str = Field(min_length=3, description="an e-mail address or a chat handle")
    team: str | None = None


class KeysConfig(Section):
    """Which fields of an event identify it, its entity and its event time."""

    event_id: str = "event_id"
    entity: str = "card_id"
    event_time: str = "ts"


class LabelConfig(Section):
    """How outcomes become labels: which outcome is positive, and when silence means negative.

    ``negative_outcomes``: the other outcome values the service accepts; the latest outcome
    of an event wins, so one of them clears an earlier positive (a chargeback reversed).
    Any other value is refused (422), as it could never become a label.

    >>> LabelConfig().outcome_values
    ('chargeback', 'reversal')
    """

    positive_outcome: str = "chargeback"
    maturity_horizon: Duration = timedelta(days=60)
    negative_outcomes: list[str] = Field(default_factory=lambda: ["reversal"])

    @property
    def outcome_values(self) -> tuple[str, ...]:
        """Every outcome value ``/v1/outcomes`` accepts: the positive one first."""
        others = [value for value in self.negative_outcomes if value != self.positive_outcome]
        return (self.positive_outcome, *others)

    @model_validator(mode="after")
    def _horizon_positive(self) -> Self:
        if self.maturity_horizon <= timedelta(0):
            raise ValueError("maturity_horizon must be positive, e.g. 60d")
        return self


_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def inside_workspace(location: str) -> str:
    """Refuse a relative local path that climbs out of the workspace (a ``..`` part).

    URLs, absolute paths and ``~`` are kept as they are: leaving the workspace must be said
    in full. ``sqlite:///`` URLs are checked on their path.

    >>> inside_workspace(".watchkeeper/events"), inside_workspace("/data/events")
    ('.watchkeeper/events', '/data/events')
    >>> inside_workspace("sqlite:///../metadata.db")
    Traceback (most recent call last):
    ...
    ValueError: a relative path must stay inside the workspace ('..' leaves it): write an absolute path to keep data elsewhere
    """
    path = location
    for prefix in ("sqlite:///", "file://"):
        path = path.removeprefix(prefix)
    if _URL_SCHEME.match(path) or path.startswith(("/", "~", "\\")) or path[1:3] in (":\\", ":/"):
        return location
    if ".." in PurePosixPath(path.replace("\\", "/")).parts:
        raise ValueError(
            "a relative path must stay inside the workspace ('..' leaves it): write an "
            "absolute path to keep data elsewhere"
        )
    return location


class OnlineStateConfig(Section):
    """Where the online feature engine keeps per-entity state."""

    type: Literal["memory", "sqlite", "lmdb", "redis"] = "memory"
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _url_inside_workspace(cls, url: str | None) -> str | None:
        return None if url is None else inside_workspace(url)

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Self:
        if self.type == "redis" and not self.url:
            raise ValueError(
                "online state of type redis needs 'url', e.g. redis://127.0.0.1:6379/0"
            )
        return self


class StorageConfig(Section):
    """Where each kind of data lives. Relative paths are relative to the workspace folder."""

    metadata: str = "sqlite:///.watchkeeper/metadata.db"
    events: str = ".watchkeeper/events"
    spool: str = ".watchkeeper/events.spool"
    artifacts: str = ".watchkeeper/artifacts"
    online_state: OnlineStateConfig = Field(default_factory=OnlineStateConfig)
    storage_options: dict[str, str] = Field(default_factory=dict)

    @field_validator("metadata", "events", "spool", "artifacts")
    @classmethod
    def _inside_workspace(cls, location: str) -> str:
        return inside_workspace(location)


class WorkspaceConfig(Section):
    """Everything ``watchkeeper.yaml`` holds."""

    version: Literal[1] = 1
    model: ModelConfig
    owner: OwnerConfig
    keys: KeysConfig = Field(default_factory=KeysConfig)
    label: LabelConfig = Field(default_factory=LabelConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    retraining: RetrainingConfig = Field(default_factory=RetrainingConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    serving: ServingConfig = Field(default_factory=ServingConfig)

    @model_validator(mode="after")
    def _feature_keys_agree(self) -> Self:
        for declared, expected, key in (
            (self.features.entity, self.keys.entity, "entity"),
            (self.features.timestamp, self.keys.event_time, "event_time"),
        ):
            if declared is not None and declared != expected:
                raise ValueError(
                    f"features names {declared!r} where keys.{key} is {expected!r}: they must agree"
                )
        return self


__all__ = [
    "KeysConfig",
    "LabelConfig",
    "ModelConfig",
    "OnlineStateConfig",
    "OwnerConfig",
    "StorageConfig",
    "WorkspaceConfig",
]
