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

from datetime import timedelta
from pathlib import PurePosixPath
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from watchkeeper import metric_names as names
from watchkeeper.config.base import Section
from watchkeeper.config.compute import ComputeConfig
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
from watchkeeper.locations import is_absolute_or_url
from watchkeeper.metric_names import ModelTask

ModelServing = Literal["watchkeeper", "external"]
"""Who trains and serves the model: watchkeeper, or the team's own service (monitoring only)."""


class ModelConfig(Section):
    """The model this workspace keeps watch over.

    ``task``: ``binary`` (a score and a yes/no decision), ``multiclass`` (class
    probabilities and a chosen class) or ``regression`` (a predicted number).
    ``serving``: ``watchkeeper`` trains and serves it; ``external`` means the team's own
    service does, and watchkeeper only receives what it logged.

    >>> ModelConfig(name="demand", task="regression").serving
    'watchkeeper'
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)
    description: str = ""
    task: ModelTask = "binary"
    serving: ModelServing = "watchkeeper"


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


class ProvisionalLabelsConfig(Section):
    """Binary: events younger than the maturity horizon that train before their label is final.

    A positive outcome (a chargeback) arrives weeks after its event; silence becomes a
    negative only at the horizon. An event of age ``a`` joins the training window once the
    share ``F(a)`` of positives received by that age — learnt from the matured events
    (:mod:`watchkeeper.training.label_delay`) — is at least ``min_delay_share``: a known
    positive then counts ``1 / F(a)`` times (at most ``1 / min_delay_share``: the floor bounds
    the weights' variance), an event without one counts as a negative. With fewer than
    ``min_matured_positives`` matured positives to learn ``F`` from, only matured labels are
    used. Ignored by multiclass and regression models and by an ``explicit_negatives`` feed.

    >>> ProvisionalLabelsConfig().min_delay_share, ProvisionalLabelsConfig().min_matured_positives
    (0.3, 100)
    """

    enabled: bool = True
    min_delay_share: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="the least share of positives received by an event's age for it to join",
    )
    min_matured_positives: int = Field(
        default=100,
        ge=1,
        description="matured positives needed to learn the label-delay distribution",
    )


class LabelConfig(Section):
    """How outcomes become labels, per task, and when a label is final.

    Binary: ``positive_outcome`` makes an event positive as soon as it arrives; silence
    until ``maturity_horizon`` makes it negative. ``negative_outcomes``: the other outcome
    values accepted; the latest outcome of an event wins, so one of them clears an earlier
    positive (a chargeback reversed). With ``explicit_negatives`` (a feed of 0/1 labels, say
    ``positive_outcome: "1"`` and ``negative_outcomes: ["0"]``), a negative outcome labels
    the event negative at once instead of waiting for the horizon.
    Multiclass: an outcome is one of ``classes``. Regression: an outcome is a number.
    In both, an event without an outcome stays unlabelled; the horizon says when a window's
    labels are complete. Any other outcome value is refused, as it could never be a label.
    ``provisional`` (binary): young events train with delay-weighted labels
    (:class:`ProvisionalLabelsConfig`).

    >>> LabelConfig().outcome_values
    ('chargeback', 'reversal')
    """

    positive_outcome: str = "chargeback"
    maturity_horizon: Duration = timedelta(days=60)
    negative_outcomes: list[str] = Field(default_factory=lambda: ["reversal"])
    explicit_negatives: bool = False
    classes: list[str] | None = Field(
        default=None, description="multiclass: every class an outcome or a prediction may name"
    )
    provisional: ProvisionalLabelsConfig = Field(default_factory=ProvisionalLabelsConfig)

    @property
    def outcome_values(self) -> tuple[str, ...]:
        """Every binary outcome value accepted: the positive one first."""
        others = [value for value in self.negative_outcomes if value != self.positive_outcome]
        return (self.positive_outcome, *others)

    @field_validator("classes")
    @classmethod
    def _classes_distinct(cls, classes: list[str] | None) -> list[str] | None:
        if classes is None:
            return None
        if len(classes) < 2:
            raise ValueError("a multiclass label needs at least two classes")
        if len(set(classes)) != len(classes) or any(not name for name in classes):
            raise ValueError("classes must be distinct, non-empty names")
        return classes

    @model_validator(mode="after")
    def _horizon_positive(self) -> Self:
        if self.maturity_horizon <= timedelta(0):
            raise ValueError("maturity_horizon must be positive, e.g. 60d")
        return self


PRIMARY_METRICS: dict[str, tuple[str, ...]] = {
    "binary": (names.BUSINESS_VALUE, names.PR_AUC, names.RECALL_AT_CHAMPION_FLAG_RATE),
    "multiclass": (names.BUSINESS_VALUE, names.MACRO_F1, names.ACCURACY),
    "regression": (names.BUSINESS_VALUE, names.MAE),
}
"""The validation gate's metrics that each task can be compared on."""


def inside_workspace(location: str) -> str:
    """Refuse a relative local path that climbs out of the workspace (a ``..`` part).

    URLs, absolute paths and ``~`` are kept as they are: leaving the workspace must be said
    in full. ``sqlite:///`` URLs are checked on their path.

    >>> inside_workspace(".watchkeeper/events"), inside_workspace("/data/events")
    ('.watchkeeper/events', '/data/events')
    >>> inside_workspace("s3://bucket/../events"), inside_workspace("file:///data/../events")
    ('s3://bucket/../events', 'file:///data/../events')
    >>> inside_workspace("sqlite:///../metadata.db")
    Traceback (most recent call last):
    ...
    ValueError: a relative path must stay inside the workspace ('..' leaves it): write an absolute path to keep data elsewhere
    """
    path = location
    for prefix in ("sqlite:///", "file://"):
        path = path.removeprefix(prefix)
    if is_absolute_or_url(path):
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
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    retraining: RetrainingConfig = Field(default_factory=RetrainingConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    serving: ServingConfig = Field(default_factory=ServingConfig)

    @model_validator(mode="after")
    def _label_fits_the_task(self) -> Self:
        task, classes = self.model.task, self.label.classes
        if task == "multiclass" and classes is None:
            raise ValueError(
                "label.classes: a multiclass model needs the list of its classes, "
                "e.g. classes: [billing, technical, sales]"
            )
        if task != "multiclass" and classes is not None:
            raise ValueError(f"label.classes applies to multiclass models, not {task}")
        return self

    @model_validator(mode="after")
    def _decisions_fit_the_task(self) -> Self:
        task, business = self.model.task, self.monitoring.business
        if self.training.decision == "cost_minimizing":
            if task != "multiclass":
                raise ValueError(
                    f"training.decision: cost_minimizing applies to multiclass models, not {task}"
                )
            if business.cost_matrix is None:
                raise ValueError(
                    "training.decision: cost_minimizing needs monitoring.business.cost_matrix "
                    "(actual class -> predicted class -> cost)"
                )
        if task == "multiclass" and business.cost_matrix is not None:
            named = set(business.cost_matrix).union(*business.cost_matrix.values())
            unknown = sorted(named - set(self.label.classes or ()))
            if unknown:
                raise ValueError(
                    f"monitoring.business.cost_matrix names class(es) {', '.join(unknown)} "
                    "not in label.classes"
                )
        metric = self.retraining.primary_metric
        allowed = PRIMARY_METRICS[task]
        if metric not in allowed:
            raise ValueError(
                f"retraining.primary_metric {metric!r} does not apply to a {task} model "
                f"(one of {', '.join(allowed)})"
            )
        return self

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
    "PRIMARY_METRICS",
    "KeysConfig",
    "LabelConfig",
    "ModelConfig",
    "ModelServing",
    "ModelTask",
    "OnlineStateConfig",
    "OwnerConfig",
    "StorageConfig",
    "WorkspaceConfig",
]
