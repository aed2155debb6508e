"""One retraining attempt from a built training window to a recorded decision.

:func:`run_retrain_attempt` is everything after the feature pipeline: it takes a
:class:`~watchkeeper.training.window.TrainingWindow` whose slices already hold the feature
columns, and

1. loads the champion (verified) and checks the holdout (enough positives, the champion's
   columns unchanged);
2. trains the configured trainer on the training slice (with the window's sample weights:
   provisional labels weigh by the label delay, :mod:`~watchkeeper.training.label_delay`);
3. chooses the decision threshold on the validation slice (weighted alike);
4. compares challenger and champion on the holdout with the validation gate (the first
   version, with no champion, is accepted and becomes champion);
5. registers the new version — model, feature spec, threshold, calibrator fitted on the
   holdout, metrics, lineage — as ``challenger`` when it passed, ``rejected`` when refused,
   and leaves it a ``candidate`` when the gate could not decide;
6. records the attempt in the audit log, with its holdout's span and positives.

A multiclass or regression workspace (``model.task``) goes through the same steps with the
task's holdout, decision, gate and estimator
(:func:`~watchkeeper.training.task_attempt.train_task_version`). A champion of another task
than the workspace's is refused at the data stage.

A refusal at any step (a :class:`~watchkeeper.errors.WatchkeeperError`) becomes a recorded,
failed attempt at that stage, and the champion is left exactly as it was. A holdout too
small to decide — fewer positives than ``retraining.min_positives`` before training, or a
gate without the power to refuse — makes the attempt *undecided* instead: "not enough
matured positives until DATE", DATE from :attr:`AttemptInputs.labels_ready_at` or, by
default, the holdout's own rate of positives
(:func:`~watchkeeper.training.label_supply.rate_ready_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import WorkspaceConfig
from watchkeeper.errors import NotEnoughLabelsError, TrainingDataError, WatchkeeperError
from watchkeeper.modeling.model import Model
from watchkeeper.modeling.threshold import DecisionThreshold, choose_threshold
from watchkeeper.performance.binary_estimation import ScoreCalibrator
from watchkeeper.registry.registry import (
    CHALLENGER,
    CHAMPION,
    REJECTED,
    LoadedVersion,
    ModelRegistry,
)
from watchkeeper.training.attempt_context import AttemptContext
from watchkeeper.training.attempts import (
    DATA_STAGE,
    REGISTRATION_STAGE,
    TRAINING_STAGE,
    VALIDATION_STAGE,
    RetrainAttempt,
    attempt_from_gate,
    failed_attempt,
    record_attempt,
    undecided_attempt,
    unjudged_attempt,
)
from watchkeeper.training.evaluation import Holdout, evaluate_scores
from watchkeeper.training.label_supply import LabelShortage, rate_ready_at, retry_moment
from watchkeeper.training.negative_sample import NegativeSample
from watchkeeper.training.recency import weighted_by_recency
from watchkeeper.training.task_attempt import train_task_version
from watchkeeper.training.trainers import train_model
from watchkeeper.training.validation import Contender, check_holdout, validation_gate
from watchkeeper.training.window import RECEIVED_SHARE, WEIGHT, TrainingWindow


@dataclass(frozen=True)
class AttemptInputs:
    """What the feature pipeline hands over: the labelled window with feature columns.

    ``feature_names`` are the model's inputs, in order; ``feature_spec`` the fitted feature
    spec as JSON bytes; ``table_versions`` the event-store table versions read;
    ``event_id`` the column that identifies an event (``keys.event_id``).
    ``champion_holdout`` holds the champion's own feature columns for the holdout's rows
    (computed with its fitted feature spec), so each model is scored on its own features;
    without it the champion scores the new feature columns. ``reference_profile``, when
    given, builds and stores the reference profile from the new model's holdout scores and
    threshold and returns its sha256 (else ``reference_profile_sha256`` is recorded as is);
    ``task_reference_profile`` does the same for a multiclass or regression model from its
    prediction columns on the holdout
    (:meth:`~watchkeeper.training.reference_profile.ReferenceProfileWriter.for_predictions`).
    ``labels_ready_at``, when given, tells when the holdout-eligible traffic will hold a
    number of labels (positives; labelled rows for another task) — for an undecided
    attempt's date; without it the holdout's own rate is used.
    """

    window: TrainingWindow
    feature_names: Sequence[str]
    feature_spec: bytes | None = None
    table_versions: Mapping[str, int | None] = field(default_factory=dict)
    reference_profile_sha256: str | None = None
    amount_column: str = "amount"
    event_id: str = "event_id"
    champion_holdout: pl.DataFrame | None = None
    reference_profile: Callable[[npt.NDArray[np.float64], float], str] | None = None
    task_reference_profile: Callable[[pl.DataFrame], str] | None = None
    labels_ready_at: Callable[[float], datetime | None] | None = None


Progress = Callable[[str], None]
"""Told the name of each long step as it starts (for a status line); may be a no-op."""


def _quiet(step: str) -> None:
    """The default progress: say nothing."""


def run_retrain_attempt(
    registry: ModelRegistry,
    inputs: AttemptInputs,
    config: WorkspaceConfig,
    *,
    trigger: str,
    workspace_root: Path,
    actor: str = "watchkeeper",
    validate: bool = True,
    progress: Progress = _quiet,
    champion_degraded: str | None = None,
) -> RetrainAttempt:
    """Run one attempt (see the module's steps) and return its recorded outcome.

    ``validate=False`` (training by hand) skips the gate: with a champion in place the new
    version stays a ``candidate`` for its owner to judge; the first version still becomes
    champion. ``champion_degraded`` (the retrain policy's reason, when it judged the
    champion degraded) lets an undecided gate take a challenger that leads
    (:func:`~watchkeeper.training.attempts.attempt_from_gate`).
    """
    champion: LoadedVersion | None = None
    stage = DATA_STAGE

    def enter(name: str) -> None:
        nonlocal stage
        stage = name

    try:
        champion_version = registry.aliases().get(CHAMPION)
        champion = registry.load(champion_version) if champion_version is not None else None
        _check_champion_task(champion, config)
        steps = _train_binary_version if config.model.task == "binary" else train_task_version
        attempt, registered = steps(
            AttemptContext(
                registry,
                inputs,
                config,
                champion,
                trigger=trigger,
                validate=validate,
                workspace_root=workspace_root,
                actor=actor,
                progress=progress,
                stage=enter,
                champion_degraded=champion_degraded,
            )
        )
        version = registered.version
        if attempt.undecided:  # the gate could not tell: the version stays a candidate
            shortage = _gate_shortage(inputs, attempt, config)
            attempt = undecided_attempt(shortage, attempt)
        if champion is None:
            registry.set_status(version, CHAMPION, reason=attempt.reason, actor=actor)
        elif validate and not attempt.undecided:
            status = CHALLENGER if attempt.accepted else REJECTED
            registry.set_status(version, status, reason=attempt.reason, actor=actor)
        attempt = replace(attempt, challenger_version=version)
    except WatchkeeperError as error:
        attempt = failed_attempt(
            error,
            trigger=trigger,
            stage=stage,
            champion_version=champion.version if champion is not None else None,
        )
        if isinstance(error, NotEnoughLabelsError):
            shortage = _shortage(inputs, config, error.have, error.needed, error.unit, str(error))
            attempt = undecided_attempt(shortage, attempt)
    evidence = {**attempt.evidence, "holdout": holdout_record(inputs)}
    if champion_degraded is not None:
        evidence["champion_degraded"] = champion_degraded
    attempt = replace(attempt, evidence=evidence)
    record_attempt(registry.metadata, registry.model_name, attempt, actor=actor)
    return attempt


def holdout_record(inputs: AttemptInputs) -> dict[str, Any]:
    """The holdout's span and its labels (positives; labelled rows for another task), as
    the attempt's evidence keeps them: the retrain policy counts new evidence from ``end``.

    >>> from datetime import UTC, timedelta
    >>> from watchkeeper.training.window import training_window
    >>> day = datetime(2026, 1, 1, tzinfo=UTC)
    >>> events = pl.DataFrame({"event_id": [f"e{i}" for i in range(100)],
    ...                        "ts": [day + timedelta(days=i) for i in range(100)]})
    >>> outcomes = pl.DataFrame({"event_id": ["e65"], "outcome": ["chargeback"],
    ...                          "received_at": [day + timedelta(days=97)]})
    >>> window = training_window(events, outcomes, as_of=day + timedelta(days=99),
    ...     maturity_horizon=timedelta(days=30), window=timedelta(days=60),
    ...     validation=timedelta(days=10), holdout=timedelta(days=10))
    >>> holdout_record(AttemptInputs(window, ["x"]))
    {'start': '2026-03-01T00:00:00+00:00', 'end': '2026-03-11T00:00:00+00:00', 'unit': 'positives', 'count': 1.0}
    """
    window = inputs.window
    return {
        "start": window.holdout_start.isoformat(),
        "end": window.window_end.isoformat(),
        "unit": _unit(window),
        "count": _labels(window.holdout, window),
    }


def _unit(window: TrainingWindow) -> str:
    return "positives" if window.task == "binary" else "labelled rows"


def _labels(frame: pl.DataFrame, window: TrainingWindow) -> float:
    """The positives (binary) or labelled rows of a slice of ``window``."""
    if window.task == "binary":
        return float(frame["label"].sum() or 0)
    return float(frame.height)


def _shortage(
    inputs: AttemptInputs,
    config: WorkspaceConfig,
    have: float,
    needed: float | None,
    unit: str,
    why: str,
) -> LabelShortage:
    """What an undecided attempt lacked and when it will have it: from
    ``inputs.labels_ready_at`` when given, else at the rate of the holdout's own labels
    (the whole window's, when the holdout has none); and when the next attempt may start at
    the latest (:func:`~watchkeeper.training.label_supply.retry_moment`: one maturity
    horizon later, sooner when the labels are expected sooner)."""
    window = inputs.window
    holds = sum(
        _labels(frame, window) for frame in (window.train, window.validation, window.holdout)
    )
    ready: datetime | None = None
    if needed is not None:
        if inputs.labels_ready_at is not None:
            ready = inputs.labels_ready_at(needed)
        else:
            count = _labels(window.holdout, window)
            span = window.window_end - window.holdout_start
            if count <= 0:
                count, span = holds, window.window_end - window.start
            ready = rate_ready_at(
                have=have, needed=needed, count=count, span=span, as_of=window.as_of
            )
    retry = retry_moment(
        ready,
        as_of=window.as_of,
        earliest=config.retraining.cooldown,
        latest=config.label.maturity_horizon,
    )
    return LabelShortage(have, needed, unit, ready, why, retry, window_holds=holds)


def _gate_shortage(
    inputs: AttemptInputs, attempt: RetrainAttempt, config: WorkspaceConfig
) -> LabelShortage:
    """The shortage of an attempt the gate left undecided, from its power's record."""
    power = attempt.evidence.get("power") or {}
    unit = _unit(inputs.window)
    key = unit.replace(" ", "_")
    have = float(power.get(key) or 0.0)
    needed = power.get(f"{key}_needed")
    return _shortage(
        inputs, config, have, None if needed is None else float(needed), unit, attempt.reason
    )


def _train_binary_version(context: AttemptContext) -> tuple[RetrainAttempt, LoadedVersion]:
    """The binary steps of the module, up to the version registered as a candidate."""
    inputs, config, champion = context.inputs, context.config, context.champion
    names = list(inputs.feature_names)
    holdout = Holdout.from_frame(
        inputs.window.holdout,
        names,
        amount=inputs.amount_column,
        needs_amounts=config.monitoring.business.cost_matrix is None,
    )
    champion_contender = _contender(champion, inputs.champion_holdout)
    check_holdout(
        holdout,
        min_positives=config.retraining.min_positives,
        champion=champion_contender,
    )
    context.stage(TRAINING_STAGE)
    context.progress("training")
    train = inputs.window.train
    model, negatives = _fit(train, names, context)
    validation = inputs.window.validation
    threshold = choose_threshold(
        model.predict_scores(validation.select(names)),
        validation["label"].to_numpy(),
        config.training.threshold,
        _weights(validation),
    )
    context.stage(VALIDATION_STAGE)
    context.progress("evaluation")
    judged = champion_contender if context.validate else None
    attempt, evaluation = _judge(model, threshold, judged, holdout, context)
    if negatives is not None:
        attempt = replace(attempt, evidence={**attempt.evidence, "negative_sample": negatives})
    if judged is not None and attempt.accepted and config.training.refit:
        context.stage(TRAINING_STAGE)
        context.progress("refitting on the training and validation slices")
        model, threshold, evaluation, attempt = _refit(
            inputs.window, names, holdout, context, attempt, evaluation
        )
    context.stage(REGISTRATION_STAGE)
    context.progress("reference profile")
    holdout_scores = np.asarray(model.predict_scores(holdout.features), dtype=np.float64)
    reference_sha256 = inputs.reference_profile_sha256
    if inputs.reference_profile is not None:
        reference_sha256 = inputs.reference_profile(holdout_scores, threshold.value)
    context.progress("registration")
    registered = context.register_candidate(
        model,
        threshold_record={**threshold.to_dict(), **_trained_on(attempt)},
        evaluation=evaluation,
        metrics={**evaluation, "threshold": threshold.value},
        reference_profile_sha256=reference_sha256,
        threshold=threshold,
        calibrator=holdout_calibrator(holdout_scores, holdout, inputs.window.holdout),
    )
    return attempt, registered


def holdout_calibrator(
    scores: npt.NDArray[np.float64], holdout: Holdout, frame: pl.DataFrame
) -> ScoreCalibrator:
    """The version's score calibrator, fitted on its holdout ``scores``: with provisional
    labels (the window's ``received_share`` column) by
    :meth:`~watchkeeper.performance.binary_estimation.ScoreCalibrator.fit_delayed`, since
    the sample weights would count a young event's pending positive as a negative and
    bias every probability (and the money estimated from them) low; else on the matured
    labels and weights.

    >>> from watchkeeper.training.evaluation import Holdout
    >>> rows = pl.DataFrame({"x": [0.0] * 4, "received_share": [0.5] * 4})
    >>> holdout = Holdout(rows.select("x"), np.array([1, 0, 0, 0]), np.zeros(4), np.array([2.0, 1, 1, 1]))
    >>> holdout_calibrator(np.full(4, 0.9), holdout, rows).probabilities([0.9]).round(6).tolist()
    [0.5]
    """
    if RECEIVED_SHARE in frame.columns and frame.height == scores.size:
        shares = frame[RECEIVED_SHARE].cast(pl.Float64).to_numpy()
        return ScoreCalibrator.fit_delayed(scores, holdout.labels, shares)
    return ScoreCalibrator.fit(scores, holdout.labels, holdout.weights)


def _fit(
    frame: pl.DataFrame, names: list[str], context: AttemptContext
) -> tuple[Model, dict[str, Any] | None]:
    """Train the configured trainer on ``frame``: its provisional-label weights times the
    recency weights of ``training.recency_half_life`` (:mod:`.recency`), on every positive
    and ``training.negative_sample`` of the negatives (:mod:`.negative_sample`). Returns the
    model and the negative sample's record (None without one)."""
    training = context.config.training
    event_time = context.config.keys.event_time
    weights = _weights(frame)
    if event_time in frame.columns:
        weights = weighted_by_recency(weights, frame[event_time], training.recency_half_life)
    labels = frame["label"].to_numpy()
    features = frame.select(names)
    if training.negative_sample is None:
        return train_model(training, features, labels, weights), None
    event_id = context.inputs.event_id
    if event_id not in frame.columns:
        raise TrainingDataError(
            f"training.negative_sample: the training rows have no column {event_id!r} "
            "(keys.event_id) to choose the negatives by"
        )
    sample = NegativeSample(training.negative_sample, training.seed)
    kept, factor = sample.choose(labels, frame[event_id])
    weighted = factor if weights is None else weights * factor
    model = train_model(training, features.filter(kept), labels[kept], weighted[kept])
    return model, sample.describe(labels, kept)


def _refit(
    window: TrainingWindow,
    names: list[str],
    holdout: Holdout,
    context: AttemptContext,
    attempt: RetrainAttempt,
    evaluation: dict[str, object],
) -> tuple[Model, DecisionThreshold, dict[str, object], RetrainAttempt]:
    """The accepted challenger trained again on the training *and* validation slices
    (``training.refit``): after a change the validation slice holds much of the new world's
    labels, which the gated model never learnt from. Its threshold is chosen on the holdout
    by the same policy, and its holdout metrics are measured there: neither model has seen
    the holdout's rows. The gate's verdict stands (it judged the way of training; the canary
    judges the model); the attempt's evidence keeps the gated model's metrics beside the
    refitted one's.
    """
    config = context.config
    both = pl.concat([window.train, window.validation], how="vertical_relaxed")
    model, negatives = _fit(both, names, context)
    scores = np.asarray(model.predict_scores(holdout.features), dtype=np.float64)
    threshold = choose_threshold(scores, holdout.labels, config.training.threshold, holdout.weights)
    refitted = evaluate_scores(scores, threshold.value, holdout, config.monitoring.business)
    record = {
        "rows": both.height,
        "positives": int(both["label"].sum() or 0),
        "threshold": threshold.value,
        "gated": dict(evaluation),
    }
    if negatives is not None:
        record["negative_sample"] = negatives
    attempt = replace(attempt, evidence={**attempt.evidence, "refit": record})
    return model, threshold, refitted.to_dict(), attempt


def _trained_on(attempt: RetrainAttempt) -> dict[str, Any]:
    """What the lineage's decision record says of a refit: the slices the model learnt and
    the slice its threshold was chosen on (nothing without a refit)."""
    if "refit" not in attempt.evidence:
        return {}
    return {"trained_on": ["train", "validation"], "chosen_on": "holdout"}


def _weights(frame: pl.DataFrame) -> npt.NDArray[np.float64] | None:
    """A binary slice's sample weights (provisional labels), or None without the column."""
    return frame[WEIGHT].cast(pl.Float64).to_numpy() if WEIGHT in frame.columns else None


def _check_champion_task(champion: LoadedVersion | None, config: WorkspaceConfig) -> None:
    """Refuse to compare with a champion of another task than the workspace's."""
    task = config.model.task
    if champion is not None and champion.task != task:
        raise TrainingDataError(
            f"the champion, version {champion.version}, is a {champion.task} model and "
            f"model.task is {task}: a model of another task cannot be compared with it"
        )


def refuse_attempt(
    registry: ModelRegistry,
    error: WatchkeeperError,
    *,
    trigger: str,
    stage: str = DATA_STAGE,
    actor: str = "watchkeeper",
) -> RetrainAttempt:
    """Record an attempt refused before :func:`run_retrain_attempt` could start.

    For refusals while reading the window or building features (missing outcome data, a
    feature spec that no longer fits the data): the champion stays as it is.
    """
    champion = registry.aliases().get(CHAMPION)
    attempt = failed_attempt(error, trigger=trigger, stage=stage, champion_version=champion)
    record_attempt(registry.metadata, registry.model_name, attempt, actor=actor)
    return attempt


def _contender(champion: LoadedVersion | None, features: pl.DataFrame | None) -> Contender | None:
    if champion is None:
        return None
    return Contender(
        champion.model,
        champion.threshold,
        champion.version,
        feature_schema=champion.manifest.feature_types,
        features=features,
    )


def _judge(
    model: Model,
    threshold: DecisionThreshold,
    champion: Contender | None,
    holdout: Holdout,
    context: AttemptContext,
) -> tuple[RetrainAttempt, dict[str, object]]:
    config = context.config
    business = config.monitoring.business
    if champion is None:
        evaluation = evaluate_scores(
            model.predict_scores(holdout.features), threshold.value, holdout, business
        ).to_dict()
        unjudged = unjudged_attempt(
            evaluation, trigger=context.trigger, champion_version=context.champion_version
        )
        return unjudged, evaluation
    result = validation_gate(
        champion,
        Contender(model, threshold.value),
        holdout,
        retraining=config.retraining,
        business=business,
        seed=config.training.seed,
    )
    attempt = attempt_from_gate(
        result,
        trigger=context.trigger,
        champion_version=context.champion_version,
        challenger_version=None,
        degraded=context.degraded,
    )
    return attempt, result.challenger.to_dict()


__all__ = ["AttemptInputs", "Progress", "holdout_record", "refuse_attempt", "run_retrain_attempt"]
