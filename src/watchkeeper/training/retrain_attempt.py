"""One retraining attempt from a built training window to a recorded decision.

:func:`run_retrain_attempt` is everything after the feature pipeline: it takes a
:class:`~watchkeeper.training.window.TrainingWindow` whose slices already hold the feature
columns, and

1. loads the champion (verified) and checks the holdout (enough positives, the champion's
   columns unchanged);
2. trains the configured trainer on the training slice;
3. chooses the decision threshold on the validation slice;
4. compares challenger and champion on the holdout with the validation gate (the first
   version, with no champion, is accepted and becomes champion);
5. registers the new version — model, feature spec, threshold, calibrator fitted on the
   holdout, metrics, lineage — as ``challenger`` when it passed, ``rejected`` when not;
6. records the attempt in the audit log.

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
from watchkeeper.errors import WatchkeeperError
from watchkeeper.monitoring.estimation import ScoreCalibrator
from watchkeeper.registry.lineage import DataLineage, Lineage
from watchkeeper.registry.lineage_capture import (
    code_lineage,
    environment_lineage,
    frame_content_hash,
)
from watchkeeper.registry.registry import (
    CANDIDATE,
    CHALLENGER,
    CHAMPION,
    REJECTED,
    LoadedVersion,
    ModelRegistry,
)
from watchkeeper.storage.artifacts import sha256_of_chunks
from watchkeeper.training.attempts import (
    DATA_STAGE,
    REGISTRATION_STAGE,
    TRAINING_STAGE,
    VALIDATION_STAGE,
    RetrainAttempt,
    attempt_from_gate,
    failed_attempt,
    record_attempt,
)
from watchkeeper.training.evaluation import Holdout, evaluate_scores
from watchkeeper.training.model import Model
from watchkeeper.training.threshold import DecisionThreshold, choose_threshold
from watchkeeper.training.trainers import train_model
from watchkeeper.training.validation import Contender, check_holdout, validation_gate
from watchkeeper.training.window import TrainingWindow


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
    threshold and returns its sha256 (else ``reference_profile_sha256`` is recorded as is).
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
    try:
        champion_version = registry.aliases().get(CHAMPION)
        champion = registry.load(champion_version) if champion_version is not None else None
        names = list(inputs.feature_names)
        holdout = Holdout.from_frame(inputs.window.holdout, names, amount=inputs.amount_column)
        champion_contender = _contender(champion, inputs.champion_holdout)
        check_holdout(
            holdout,
            min_positives=config.retraining.min_positives,
            champion=champion_contender,
        )
        stage = TRAINING_STAGE
        progress("training")
        train = inputs.window.train
        model = train_model(config.training, train.select(names), train["label"].to_numpy())
        validation = inputs.window.validation
        threshold = choose_threshold(
            model.predict_scores(validation.select(names)),
            validation["label"].to_numpy(),
            config.training.threshold,
        )
        stage = VALIDATION_STAGE
        progress("evaluation")
        judged = champion_contender if validate else None
        attempt, evaluation = _judge(model, threshold, judged, holdout, config, trigger, champion)
        stage = REGISTRATION_STAGE
        progress("reference profile")
        holdout_scores = np.asarray(model.predict_scores(holdout.features), dtype=np.float64)
        reference_sha256 = inputs.reference_profile_sha256
        if inputs.reference_profile is not None:
            reference_sha256 = inputs.reference_profile(holdout_scores, threshold.value)
        progress("registration")
        registered = registry.register(
            model,
            feature_schema=train.select(names).schema,
            threshold=threshold,
            calibrator=ScoreCalibrator.fit(holdout_scores, holdout.labels),
            feature_spec=inputs.feature_spec,
            reference_profile_sha256=reference_sha256,
            metrics={**evaluation, "threshold": threshold.value},
            lineage=_lineage(
                inputs, config, threshold, evaluation, champion, trigger, workspace_root
            ),
            status=CANDIDATE,
            created_by=actor,
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
    config: WorkspaceConfig,
    trigger: str,
    loaded: LoadedVersion | None,
) -> tuple[RetrainAttempt, dict[str, object]]:
    business = config.monitoring.business
    if champion is None:
        evaluation = evaluate_scores(
            model.predict_scores(holdout.features), threshold.value, holdout, business
        ).to_dict()
        unjudged = RetrainAttempt(
            accepted=True,
            reason=(
                "first version: no champion to compare with"
                if loaded is None
                else "trained by hand: registered as a candidate, without the gate"
            ),
            trigger=trigger,
            stage=VALIDATION_STAGE,
            champion_version=loaded.version if loaded is not None else None,
            challenger_metrics=evaluation,
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
        trigger=trigger,
        champion_version=loaded.version if loaded is not None else None,
        challenger_version=None,
    )
    return attempt, result.challenger.to_dict()


def _lineage(
    inputs: AttemptInputs,
    config: WorkspaceConfig,
    threshold: DecisionThreshold,
    evaluation: Mapping[str, object],
    champion: LoadedVersion | None,
    trigger: str,
    workspace_root: Path,
) -> Lineage:
    window = inputs.window
    frame = pl.concat([window.train, window.validation, window.holdout], how="vertical_relaxed")
    spec_sha256 = (
        sha256_of_chunks([inputs.feature_spec]) if inputs.feature_spec is not None else None
    )
    slices = window.counts()
    return Lineage(
        data=DataLineage(
            table_versions=dict(inputs.table_versions),
            window_start=window.start.isoformat(),
            window_end=window.cutoff.isoformat(),
            maturity_cutoff=window.cutoff.isoformat(),
            rows=frame.height,
            positives=sum(part["positives"] for part in slices.values()),
            frame_sha256=frame_content_hash(frame, key=[inputs.event_id]),
            as_of=window.as_of.isoformat(),
            slices=slices,
        ),
        code=code_lineage(workspace_root, spec_sha256),
        environment=environment_lineage(),
        trainer=config.training.trainer,
        hyperparameters=dict(config.training.parameters),
        seed=config.training.seed,
        threshold=threshold.to_dict(),
        evaluation=dict(evaluation),
        parent_version=champion.version if champion is not None else None,
        trigger=trigger,
    )


__all__ = ["AttemptInputs", "Progress", "refuse_attempt", "run_retrain_attempt"]
