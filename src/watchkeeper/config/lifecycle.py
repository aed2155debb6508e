"""Sections for what happens around the model: training, monitoring, alerts, retraining, rollout.

Every field has a default a careful team would start from (see ``domain.md`` in the docs), so
a workspace may leave a whole section out.

>>> MonitoringConfig().psi.alert
0.25
>>> RolloutConfig().duration
datetime.timedelta(days=2)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from watchkeeper.config.base import Section
from watchkeeper.durations import Duration, format_duration


class ThresholdPolicy(Section):
    """How the decision threshold on the score is chosen on validation data."""

    policy: Literal["flag_rate", "precision"] = "flag_rate"
    target: float = Field(default=0.01, gt=0, lt=1)


class TrainingConfig(Section):
    """How a model version is trained: trainer, its parameters, data window and threshold."""

    trainer: str = Field(
        default="lightgbm",
        description="'lightgbm', 'sklearn:package.module.Class' or a custom 'module:function'",
    )
    parameters: dict[str, Any] = Field(default_factory=dict)
    window: Duration = timedelta(days=90)
    validation: Duration = Field(
        default=timedelta(days=14),
        description=(
            "the least length of the slice before the holdout, where the threshold is chosen "
            "(binary: grown until it holds retraining.min_positives known positives)"
        ),
    )
    holdout: Duration = Field(
        default=timedelta(days=14),
        description=(
            "the least length of the most recent slice, where versions are compared (binary: "
            "grown until it holds retraining.min_positives known positives)"
        ),
    )
    threshold: ThresholdPolicy = Field(default_factory=ThresholdPolicy)
    recency_half_life: Duration | None = Field(
        default=None,
        description=(
            "binary: a training row's weight halves with each half-life of age before the "
            "newest training row, so the traffic of now outweighs that of months ago "
            "(None: every row counts alike)"
        ),
    )
    refit: bool = Field(
        default=True,
        description=(
            "binary: a challenger the gate accepts is trained again on its training and "
            "validation slices before the canary; its threshold, calibrator and reference "
            "come from the holdout, which it has still not seen"
        ),
    )
    decision: Literal["argmax", "cost_minimizing"] = Field(
        default="argmax",
        description=(
            "multiclass: the most probable class, or the class of the lowest expected cost "
            "under monitoring.business.cost_matrix"
        ),
    )
    sample: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description=(
            "train on this fraction of the entities (keys.entity) of the training slice, "
            "chosen by a hash of the entity and training.seed: the same rows on every run and "
            "engine; the validation slice and holdout stay whole (None: every row)"
        ),
    )
    negative_sample: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description=(
            "binary: the trainer sees every positive and this fraction of the negatives "
            "(a hash of the event id and training.seed), each kept negative weighing "
            "1/fraction: fits cost in proportion to their rows, and a rare positive class "
            "leaves most negatives redundant; validation slice and holdout stay whole "
            "(None: every row)"
        ),
    )
    trust_pickle: bool = False
    trusted_types: list[str] = Field(
        default_factory=list,
        description="types a skops artifact may hold beyond skops' own safe list",
    )
    seed: int = 0

    @field_validator("recency_half_life")
    @classmethod
    def _half_life_positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be positive, e.g. 30d (or null: no recency weights)")
        return value

    @model_validator(mode="after")
    def _slices_fit_the_window(self) -> Self:
        if self.validation + self.holdout >= self.window:
            raise ValueError(
                f"validation ({format_duration(self.validation)}) plus holdout "
                f"({format_duration(self.holdout)}) must be shorter than the window "
                f"({format_duration(self.window)}), leaving days to train on"
            )
        return self


class DriftThresholds(Section):
    """PSI levels that make a feature's verdict ``warn`` or ``alert``.

    ``min_window`` declares a feature's cycle: a cyclic feature such as the day of the week is
    lopsided in any single day by nature, so each daily row of it is judged on the version's
    windows of the last ``min_window`` pooled (a rolling week), and a window that cannot cover
    it gets the status ``short_window`` (no verdict, no alert). Features made by the
    ``hour_of_day``, ``day_of_week``, ``is_weekend`` and ``day_of_month`` transforms, and the
    model's score when it reads one of them, need no declaration: their cycle is inferred
    (:mod:`watchkeeper.monitoring.job.judgement`).
    """

    warn: float = Field(default=0.1, ge=0)
    alert: float = Field(default=0.25, ge=0)
    min_window: Duration | None = Field(
        default=None,
        description=(
            "the feature's cycle: judge it on pooled windows covering at least this span "
            "(inferred for time-part transforms and the score of a model reading them)"
        ),
    )

    @model_validator(mode="after")
    def _warn_below_alert(self) -> Self:
        if self.warn > self.alert:
            raise ValueError(f"warn ({self.warn}) must not exceed alert ({self.alert})")
        return self


class BusinessValueConfig(Section):
    """The money model of a decision, per event.

    Binary with amounts (the fraud example): review, decline and fraud-loss costs below.
    Any task can name a ``cost_matrix`` instead (binary, multiclass), and regression
    prices each unit of error with ``under_cost`` and ``over_cost``.
    """

    currency: str = "USD"
    review_cost: float = Field(default=5.0, ge=0, description="cost of one manual review (a flag)")
    false_decline_rate: float = Field(
        default=0.03, ge=0, le=1, description="share of a declined legitimate amount lost"
    )
    false_decline_cost: float = Field(
        default=2.0, ge=0, description="fixed goodwill cost of declining a legitimate customer"
    )
    baseline: Literal["no_model", "rule"] = "no_model"
    baseline_rule: str | None = Field(
        default=None, description="a Polars SQL predicate, for 'rule'"
    )
    cost_matrix: dict[str, dict[str, float]] | None = Field(
        default=None,
        description=(
            "binary and multiclass: the cost of each (actual, predicted) pair, "
            "actual -> predicted -> cost per event (a gain is negative); binary classes are "
            "'positive' and 'negative'; a pair left out costs 0"
        ),
    )
    under_cost: float = Field(
        default=1.0, ge=0, description="regression: cost per unit the prediction falls short"
    )
    over_cost: float = Field(
        default=1.0, ge=0, description="regression: cost per unit the prediction overshoots"
    )


class MonitoringConfig(Section):
    """Windows, binning and thresholds of the monitors."""

    window: Duration = timedelta(days=1)
    report_window: Duration = timedelta(days=7)
    bins: int = Field(default=10, ge=2, le=1000)
    min_rows: int = Field(
        default=500,
        ge=1,
        description=(
            "a window with fewer scored events (a canary's share of a day, say) "
            "is judged on the pool of its version's windows ending with it that holds this "
            "many (status few_rows when none does within a report window): on a few hundred "
            "rows PSI is noise"
        ),
    )
    warm_up_rows: int = Field(
        default=1000,
        ge=0,
        description=(
            "a version's drift is judged only from the first window that begins after it "
            "has served this many events (status warming_up before): its first windows after "
            "a launch or a promotion are small or partial"
        ),
    )
    top_k: int = Field(default=20, ge=1)
    psi: DriftThresholds = Field(default_factory=DriftThresholds)
    per_feature: dict[str, DriftThresholds] = Field(default_factory=dict)
    drift_verdict: Literal["calibrated", "fixed"] = Field(
        default="calibrated",
        description=(
            "how a reference frame's drift is judged (watchkeeper drift, Reference.drift): "
            "'calibrated', each feature's PSI levels from the reference's own chunk-to-chunk "
            "noise at the window's size, or 'fixed', the psi levels whatever the size; a file "
            "that sets psi levels and no drift_verdict keeps 'fixed'"
        ),
    )
    calibration_chunks: int = Field(
        default=10,
        ge=2,
        le=1000,
        description="consecutive chunks the reference is cut into to measure its PSI noise",
    )
    domain_classifier_sample: int = Field(default=10_000, ge=100)
    domain_classifier_auc: DriftThresholds = Field(
        default_factory=lambda: DriftThresholds(warn=0.55, alert=0.65),
        description="ROC AUC levels of the reference-vs-current classifier (0.5: no drift)",
    )
    sketch_k: int = Field(
        default=400,
        ge=8,
        le=65_535,
        description="KLL quantile sketch size: about 0.7% rank error and 10 KB per feature at 400",
    )
    business: BusinessValueConfig = Field(default_factory=BusinessValueConfig)
    reference_window: Duration = Field(
        default=timedelta(days=28),
        description=(
            "a model served elsewhere has no holdout: each of its versions is compared with "
            "its own first reference_window of logged predictions"
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _set_levels_stay_fixed(cls, data: Any) -> Any:
        """A file that sets ``psi`` levels but no ``drift_verdict`` meant those levels.

        >>> MonitoringConfig(psi={"warn": 0.05, "alert": 0.1}).drift_verdict
        'fixed'
        """
        if isinstance(data, dict) and "psi" in data and "drift_verdict" not in data:
            return {**data, "drift_verdict": "fixed"}
        return data


class ChannelConfig(Section):
    """Where alerts are delivered."""

    type: Literal["log", "webhook", "slack", "email", "prometheus"]
    url: str | None = None
    to: list[str] = Field(default_factory=list)
    smtp_host: str | None = None
    smtp_port: int = 25
    sender: str | None = None

    @model_validator(mode="after")
    def _has_destination(self) -> Self:
        if self.type in ("webhook", "slack") and not self.url:
            raise ValueError(f"a {self.type} channel needs 'url'")
        if self.type == "email" and not (self.smtp_host and self.to):
            raise ValueError("an email channel needs 'smtp_host' and 'to'")
        return self


class Persistence(Section):
    """A rule fires when ``breaches`` of the last ``windows`` windows break the threshold."""

    breaches: int = Field(default=2, ge=1)
    windows: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _breaches_fit(self) -> Self:
        if self.breaches > self.windows:
            raise ValueError(f"breaches ({self.breaches}) cannot exceed windows ({self.windows})")
        return self


class AlertRuleConfig(Section):
    """One alert rule over the metric series."""

    name: str
    metric: str
    feature: str | None = None
    threshold: float
    direction: Literal["above", "below"] = "above"
    persistence: Persistence = Field(default_factory=Persistence)
    severity: Literal["info", "warning", "critical"] = "warning"


class AlertsConfig(Section):
    """Alert rules and the channels that carry them to the owner."""

    channels: list[ChannelConfig] = Field(default_factory=lambda: [ChannelConfig(type="log")])
    rules: list[AlertRuleConfig] = Field(default_factory=list)
    cooldown: Duration = timedelta(days=1)
    delivery_attempts: int = Field(default=3, ge=1)


PerformanceMetric = Literal["recall", "precision", "pr_auc"]


class RetrainTriggers(Section):
    """What starts a retraining attempt."""

    psi_features: int = Field(default=1, ge=1, description="features above the PSI alert level")
    psi_windows: int = Field(default=2, ge=1, description="for this many consecutive windows")
    performance_drop: float | None = Field(default=0.1, ge=0, le=1)
    performance_metrics: list[PerformanceMetric] = Field(
        default_factory=lambda: list[PerformanceMetric](["recall"]),
        description=(
            "metrics whose drop (realized or estimated) triggers; precision follows the fraud "
            "rate at a fixed flag rate, and a day's PR AUC is noisy: add them deliberately"
        ),
    )
    performance_window: Duration = Field(
        default=timedelta(days=7),
        description=(
            "the drop is judged on the windows within this span, pooled; an estimate against "
            "its own over the champion's first span served, on windows after that span only"
        ),
    )
    performance_min_windows: int = Field(
        default=5, ge=1, description="windows with a value needed within the span"
    )
    schedule: Duration | None = None
    schedule_in_recovery: Duration | None = Field(
        default=timedelta(days=14),
        description=(
            "the schedule while recovering from a drift: the last decided attempt accepted "
            "a challenger for a degraded champion (the world is still moving and each newer "
            "model has beaten the last); back to schedule after a refusal. None: schedule"
        ),
    )


class RetrainRequestConfig(Section):
    """How a model served outside watchkeeper is asked to retrain (``model.serving:
    external``): the owner is always told; ``command`` (an argument list, or a string split
    like a shell's words, never run by a shell) gets the request as JSON on its standard
    input, and ``webhook`` gets it as a JSON POST."""

    command: list[str] | str | None = None
    webhook: str | None = None
    timeout: Duration = timedelta(seconds=30)

    @model_validator(mode="after")
    def _timeout_positive(self) -> Self:
        if self.timeout <= timedelta(0):
            raise ValueError("timeout must be positive, e.g. 30s")
        return self


class RetrainingConfig(Section):
    """Drift-triggered retraining and the validation gate."""

    enabled: bool = True
    triggers: RetrainTriggers = Field(default_factory=RetrainTriggers)
    cooldown: Duration = timedelta(days=7)
    max_attempts: int = Field(
        default=10,
        ge=1,
        description=(
            "refused attempts allowed per drift episode (and per budget_period) before the "
            "owner is alerted; the loop resumes when the budget resets or the owner acts"
        ),
    )
    budget_period: Duration = Field(
        default=timedelta(days=90),
        description="the longest span over which max_attempts counts refused attempts",
    )
    new_evidence: float = Field(
        default=0.5,
        gt=0,
        description=(
            "an attempt after a refused one waits for this share of min_positives "
            "(min_holdout_rows for other tasks) in new matured labels"
        ),
    )
    min_positives: int = Field(default=50, ge=1)
    min_holdout_rows: int = Field(
        default=200, ge=1, description="multiclass and regression: labelled holdout rows needed"
    )
    primary_metric: Literal[
        "business_value", "pr_auc", "recall_at_champion_flag_rate", "macro_f1", "accuracy", "mae"
    ] = Field(
        default="business_value",
        description=(
            "binary: business_value, pr_auc or recall_at_champion_flag_rate; multiclass: "
            "business_value (from the cost matrix; macro_f1 without one), macro_f1 or "
            "accuracy; regression: business_value (from under_cost and over_cost) or mae"
        ),
    )
    margin: float = Field(default=0.0, ge=0, description="in the primary metric's unit")
    request: RetrainRequestConfig = Field(default_factory=RetrainRequestConfig)
    bootstrap_samples: int = Field(default=1000, ge=100)
    confidence: float = Field(
        default=0.95, gt=0.5, lt=1, description="of the bootstrap interval of the difference"
    )
    detectable_effect: float = Field(
        default=0.1,
        gt=0,
        description=(
            "the gain beyond the margin the gate must be able to detect, as a share of the "
            "champion's room for improvement (its distance from the metric's best value on "
            "the holdout)"
        ),
    )
    min_power: float = Field(
        default=0.8,
        ge=0,
        lt=1,
        description=(
            "below this power against detectable_effect, an attempt the gate does not accept "
            "is undecided, not refused (0: never)"
        ),
    )
    when_undecided: Literal["wait", "fresher_if_degraded"] = Field(
        default="fresher_if_degraded",
        description=(
            "an undecided gate: wait for more labels, or (fresher_if_degraded) send the "
            "challenger to a canary when the champion is degraded (a drift or performance "
            "trigger fired) and the challenger leads on the point estimate by more than the "
            "margin"
        ),
    )


class RolloutGuards(Section):
    """Limits a canary must stay within, relative to the champion and to its own holdout."""

    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    max_latency_ratio: float = Field(default=2.0, gt=0)
    max_flag_rate_ratio: float = Field(default=2.0, gt=1)
    max_score_psi: float = Field(default=0.25, gt=0)
    max_recall_drop: float = Field(
        default=0.1, ge=0, le=1, description="realized recall below the champion's by more fails"
    )
    max_precision_drop: float = Field(
        default=0.1, ge=0, le=1, description="realized precision below the champion's by more fails"
    )
    min_labelled_positives: int = Field(
        default=30, ge=1, description="known positives per model before realized performance counts"
    )
    max_accuracy_drop: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="multiclass: realized accuracy below the champion's by more fails",
    )
    max_mae_increase: float = Field(
        default=0.2,
        ge=0,
        description="regression: realized MAE above the champion's by more than this share fails",
    )
    min_labelled_events: int = Field(
        default=200,
        ge=1,
        description=(
            "multiclass, regression: labelled events per model before realized performance "
            "counts (with 200, the default limits lie about 2.5 standard errors out)"
        ),
    )


class RolloutConfig(Section):
    """Canary rollout of a validated challenger."""

    canary_share: float = Field(default=0.1, gt=0, lt=1)
    duration: Duration = timedelta(hours=48)
    min_events: int = Field(default=1000, ge=1)
    require_approval: bool = False
    shadow: bool = False
    guards: RolloutGuards = Field(default_factory=RolloutGuards)


class EventTimeRange(Section):
    """How far from the service's clock a live event's time (``keys.event_time``) and an
    outcome's ``outcome_ts`` may lie; a time outside is refused (422) naming the field.

    ``max_age``: the oldest accepted, behind the clock; unset, the longest of
    ``label.maturity_horizon`` and ``training.window`` plus ``margin`` (120 days with the
    defaults): an older event can no longer count in any window monitoring, labels or
    retraining look at. ``max_future``: the furthest ahead of the clock (clocks of clients
    drift). Bulk loads of historical files do not pass here, only the service's endpoints.
    """

    max_age: Duration | None = None
    margin: Duration = timedelta(days=30)
    max_future: Duration = timedelta(minutes=5)

    @model_validator(mode="after")
    def _non_negative(self) -> Self:
        for name in ("max_age", "margin", "max_future"):
            value = getattr(self, name)
            if value is not None and value < timedelta(0):
                raise ValueError(f"{name} must not be negative, e.g. 5m")
        return self


class ServingConfig(Section):
    """The scoring service.

    ``body_timeout``: how long a request's body may take to arrive once its headers have;
    a slower client is answered 408 and its connection closed.
    """

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    protect_reads: bool = True
    """Whether the read endpoints (``/v1/models``, ``/v1/rollout``, ``/metrics``,
    ``/dashboard``) need a bearer token: ``WATCHKEEPER_READ_TOKEN`` or the admin token. On by
    default, for a service reachable from a network; ``/healthz``, ``/readyz`` and the scoring
    and outcome endpoints are always open. Off: the dashboard leaves out the owner and the
    champion's code and environment (package, Python and platform versions)."""
    unknown_fields: Literal["ignore", "reject"] = "ignore"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    body_timeout: Duration = timedelta(seconds=5)
    event_time: EventTimeRange = Field(default_factory=EventTimeRange)
    fsync_predictions: bool = False
    """Whether each commit of the prediction log waits for the disk. Off: a logged prediction
    survives the crash of any process (``kill -9``) but may be lost with the last few
    milliseconds of them in a power cut or machine crash; on: it survives those too, and
    every group of requests waits for an fsync (0.2-2 ms on a typical disk)."""
    idempotency_window: Duration = Field(default=timedelta(days=3))
    """How long an event id is remembered (by the service clock) after its event was scored:
    scored again within it, the same content gets the first answer again and different
    content a 409; after it, the id may be forgotten (it is kept for at most twice this).
    The record lives in the online state store, shared by the workers and kept as the states
    are."""
    max_backlog_age: Duration = timedelta(minutes=5)
    """``/readyz`` answers 503 once the oldest logged row has waited longer than this for
    the flusher (which flushes every 10 s): the flusher is dead or far behind."""
    shutdown_timeout: Duration = timedelta(seconds=20)
    """How long ``watchkeeper serve`` may take to stop on ``SIGTERM`` or ``SIGINT``: half
    of it for the requests in flight, the rest for the workers' exits and the last flush;
    then every process left is killed (rows not yet flushed stay in the spool)."""
    keep_alive_timeout: Duration = timedelta(seconds=5)
    """How long an idle keep-alive connection is kept open (whole seconds)."""
    header_timeout: Duration = timedelta(seconds=10)
    """How long a connection may take to send a request's headers, from its first byte (or
    from the connection's opening); then it is closed (with a 408 if it had begun). The
    headers' size is bounded too: 16 KiB, else 400."""

    @field_validator("idempotency_window")
    @classmethod
    def _positive_window(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value

    @model_validator(mode="after")
    def _timeouts_are_positive(self) -> Self:
        if self.body_timeout <= timedelta(0):
            raise ValueError("body_timeout must be positive, e.g. 5s")
        for name in ("max_backlog_age", "shutdown_timeout", "keep_alive_timeout", "header_timeout"):
            value: timedelta = getattr(self, name)
            if value < timedelta(seconds=1):
                raise ValueError(f"{name} must be at least 1s (got {format_duration(value)})")
        return self


__all__ = [
    "AlertRuleConfig",
    "AlertsConfig",
    "BusinessValueConfig",
    "ChannelConfig",
    "DriftThresholds",
    "EventTimeRange",
    "MonitoringConfig",
    "Persistence",
    "RetrainRequestConfig",
    "RetrainTriggers",
    "RetrainingConfig",
    "RolloutConfig",
    "RolloutGuards",
    "ServingConfig",
    "ThresholdPolicy",
    "TrainingConfig",
]
