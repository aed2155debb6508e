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
   holdout, metrics, lineage — as ``challenger`` when it passed, ``rejected`` when not;
6. records the attempt in the audit log.

A multiclass or regression workspace (``model.task``) goes through the same steps with the
task's holdout, decision, gate and estimator
(:func:`~watchkeeper.training.task_attempt.train_task_version`). A champion of another task
than the workspace's is refused at the data stage.

A refusal at any step (a :class:`~watchkeeper.errors.WatchkeeperError`) becomes a recorded,
failed attempt at that stage, and the champion is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from watchkeeper.config import WorkspaceConfig
from watchkeeper.errors import TrainingDataError, WatchkeeperError
from watchkeeper.monitoring.estimation import ScoreCalibrator
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
    unjudged_attempt,
)
from watchkeeper.training.evaluation import Holdout, evaluate_scores
from watchkeeper.training.model import Model
from watchkeeper.training.task_attempt import train_task_version
from watchkeeper.training.threshold import DecisionThreshold, choose_threshold
from watchkeeper.training.trainers import train_model
from watchkeeper.training.validation import Contender, check_holdout, validation_gate
from watchkeeper.training.window import WEIGHT, TrainingWindow


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
) -> RetrainAttempt:
    """Run one attempt (see the module's steps) and return its recorded outcome.

    ``validate=False`` (training by hand) skips the gate: with a champion in place the new
    version stays a ``candidate`` for its owner to judge; the first version still becomes
    champion.
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
            )
        )
        version = registered.version
        if champion is None:
            registry.set_status(version, CHAMPION, reason=attempt.reason, actor=actor)
        elif validate:
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
    record_attempt(registry.metadata, registry.model_name, attempt, actor=actor)
    return attempt


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
    model = train_model(
        config.training, train.select(names), train["label"].to_numpy(), _weights(train)
    )
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
    context.stage(REGISTRATION_STAGE)
    context.progress("reference profile")
    holdout_scores = np.asarray(model.predict_scores(holdout.features), dtype=np.float64)
    reference_sha256 = inputs.reference_profile_sha256
    if inputs.reference_profile is not None:
        reference_sha256 = inputs.reference_profile(holdout_scores, threshold.value)
    context.progress("registration")
    registered = context.register_candidate(
        model,
        threshold_record=threshold.to_dict(),
        evaluation=evaluation,
        metrics={**evaluation, "threshold": threshold.value},
        reference_profile_sha256=reference_sha256,
        threshold=threshold,
        calibrator=ScoreCalibrator.fit(holdout_scores, holdout.labels, holdout.weights),
    )
    return attempt, registered


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
    )
    return attempt, result.challenger.to_dict()


__all__ = ["AttemptInputs", "Progress", "refuse_attempt", "run_retrain_attempt"]
