"""The steps of a retraining attempt for a multiclass or regression model.

:func:`~watchkeeper.training.retrain_attempt.run_retrain_attempt` hands these tasks to
:func:`train_task_version`, which mirrors the binary steps:

1. checks the holdout (``retraining.min_holdout_rows`` labelled rows, two classes for a
   multiclass model, the champion's columns unchanged);
2. trains ``training.trainer`` for the task on the training slice;
3. multiclass: takes the workspace's decision rule (:func:`~watchkeeper.modeling.class_decision.class_decision`;
   there is no threshold to choose, so the validation slice is not used); regression
   decides nothing;
4. compares challenger and champion on the holdout with the task's gate
   (:func:`~watchkeeper.training.task_validation.class_validation_gate` or
   :func:`~watchkeeper.training.task_validation.value_validation_gate`), or, without a
   champion or a gate, evaluates the challenger alone;
5. fits the performance estimator on the holdout (:mod:`watchkeeper.modeling.task_estimators`),
   writes the reference profile with the task's prediction columns and registers the
   version (task, classes, decision rule and estimator in the manifest's ``extra``;
   threshold 0, no score calibrator) as a ``candidate``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from watchkeeper.config import WorkspaceConfig
from watchkeeper.errors import TrainingDataError
from watchkeeper.modeling.class_decision import ClassDecision, class_decision
from watchkeeper.modeling.task_estimators import class_estimator, value_estimator
from watchkeeper.modeling.task_models import ClassProbabilityModel, TaskModel, ValueModel
from watchkeeper.registry.registry import LoadedVersion, ModelRegistry
from watchkeeper.training.attempt_context import AttemptContext
from watchkeeper.training.attempts import (
    REGISTRATION_STAGE,
    TRAINING_STAGE,
    VALIDATION_STAGE,
    RetrainAttempt,
    attempt_from_gate,
    unjudged_attempt,
)
from watchkeeper.training.reference_profile import (
    DECISION_COLUMN,
    PREDICTION_COLUMN,
    SCORE_COLUMN,
)
from watchkeeper.training.task_evaluation import (
    ClassHoldout,
    ValueHoldout,
    evaluate_classes,
    evaluate_values,
)
from watchkeeper.training.task_trainers import train_task_model
from watchkeeper.training.task_validation import (
    TaskContender,
    TaskGateResult,
    check_task_holdout,
    class_validation_gate,
    value_validation_gate,
)


def train_task_version(context: AttemptContext) -> tuple[RetrainAttempt, LoadedVersion]:
    """Run the steps of the module and return the attempt and the version registered.

    ``context.stage`` is told each attempt stage (``training``, ``validation``,
    ``registration``) as it starts, so a refusal is recorded at the right one; the caller
    sets the status.
    """
    inputs, config, champion = context.inputs, context.config, context.champion
    task = config.model.task
    names = list(inputs.feature_names)
    classes = config.label.classes
    holdout: ClassHoldout | ValueHoldout
    if task == "multiclass":
        if classes is None:
            raise TrainingDataError("label.classes: a multiclass model needs its classes")
        holdout = ClassHoldout.from_frame(inputs.window.holdout, names, classes)
    else:
        holdout = ValueHoldout.from_frame(inputs.window.holdout, names)
    champion_contender = task_contender(champion, inputs.champion_holdout)
    check_task_holdout(
        holdout, min_rows=config.retraining.min_holdout_rows, champion=champion_contender
    )
    context.stage(TRAINING_STAGE)
    context.progress("training")
    train = inputs.window.train
    model = train_task_model(
        config.training, train.select(names), train["label"].to_numpy(), task=task, classes=classes
    )
    decision = (
        class_decision(config.training, config.monitoring.business, classes)
        if classes is not None and task == "multiclass"
        else None
    )
    context.stage(VALIDATION_STAGE)
    context.progress("evaluation")
    predictions = _holdout_predictions(model, decision, holdout)
    if champion_contender is None or not context.validate:
        evaluation = _evaluation(predictions, holdout, decision, config)
        attempt = unjudged_attempt(
            evaluation, trigger=context.trigger, champion_version=context.champion_version
        )
    else:
        result = _gate(champion_contender, TaskContender(model, decision), holdout, config)
        attempt = attempt_from_gate(
            result,
            trigger=context.trigger,
            champion_version=context.champion_version,
            challenger_version=None,
            degraded=context.degraded,
        )
        evaluation = result.challenger.to_dict()
    context.stage(REGISTRATION_STAGE)
    context.progress("performance estimator")
    estimator = _estimator(predictions, holdout, context.registry, config.training.seed)
    reference_sha256 = inputs.reference_profile_sha256
    if inputs.task_reference_profile is not None:
        context.progress("reference profile")
        reference_sha256 = inputs.task_reference_profile(_profiled(predictions, decision))
    context.progress("registration")
    registered = context.register_candidate(
        model,
        threshold_record={"decision": decision.to_dict()} if decision is not None else {},
        evaluation=evaluation,
        metrics=evaluation,
        reference_profile_sha256=reference_sha256,
        threshold=0.0,
        decision=decision,
        estimator=estimator,
    )
    return attempt, registered


def task_contender(
    champion: LoadedVersion | None, features: pl.DataFrame | None
) -> TaskContender | None:
    """The champion as the gate compares it: its model, its own decision rule (argmax when
    its manifest has none), its columns and its features for the holdout rows.

    >>> task_contender(None, None) is None  # no champion, nothing to compare with
    True
    """
    if champion is None:
        return None
    rule = champion.manifest.extra.get("decision")
    decision = None
    model = champion.task_model
    if rule is not None:
        decision = ClassDecision.from_dict(rule)
    elif isinstance(model, ClassProbabilityModel):
        decision = ClassDecision("argmax", tuple(model.classes))
    return TaskContender(
        model,
        decision,
        champion.version,
        feature_schema=champion.manifest.feature_types,
        features=features,
    )


def _holdout_predictions(
    model: TaskModel, decision: ClassDecision | None, holdout: ClassHoldout | ValueHoldout
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Class probabilities (multiclass) or predicted values (regression) on the holdout."""
    if isinstance(holdout, ClassHoldout):
        if not isinstance(model, ClassProbabilityModel) or decision is None:
            raise TrainingDataError("the trained model gives no class probabilities")
        return np.asarray(model.predict_probabilities(holdout.features), dtype=np.float64)
    if not isinstance(model, ValueModel):
        raise TrainingDataError("the trained model predicts no values")
    return np.asarray(model.predict_values(holdout.features), dtype=np.float64)


def _evaluation(
    predictions: np.ndarray[Any, np.dtype[np.float64]],
    holdout: ClassHoldout | ValueHoldout,
    decision: ClassDecision | None,
    config: WorkspaceConfig,
) -> dict[str, Any]:
    """The challenger's metrics alone: the first version, or one trained without the gate."""
    business = config.monitoring.business
    if isinstance(holdout, ClassHoldout):
        if decision is None:
            raise TrainingDataError("a multiclass model needs its decision rule")
        return evaluate_classes(decision.decide(predictions), holdout, business).to_dict()
    return evaluate_values(predictions, holdout, business).to_dict()


def _gate(
    champion: TaskContender,
    challenger: TaskContender,
    holdout: ClassHoldout | ValueHoldout,
    config: WorkspaceConfig,
) -> TaskGateResult:
    retraining, business = config.retraining, config.monitoring.business
    seed = config.training.seed
    if isinstance(holdout, ClassHoldout):
        return class_validation_gate(
            champion, challenger, holdout, retraining=retraining, business=business, seed=seed
        )
    return value_validation_gate(
        champion, challenger, holdout, retraining=retraining, business=business, seed=seed
    )


def _estimator(
    predictions: np.ndarray[Any, np.dtype[np.float64]],
    holdout: ClassHoldout | ValueHoldout,
    registry: ModelRegistry,
    seed: int,
) -> dict[str, Any]:
    if isinstance(holdout, ClassHoldout):
        actual = np.asarray(holdout.classes, dtype=str)[holdout.labels]
        return class_estimator(predictions, actual.tolist(), holdout.classes)
    return value_estimator(
        holdout.features, predictions, holdout.values, registry.artifacts, seed=seed
    )


def _profiled(
    predictions: np.ndarray[Any, np.dtype[np.float64]], decision: ClassDecision | None
) -> pl.DataFrame:
    """The prediction columns of the reference profile, one row per holdout row."""
    if decision is None:
        return pl.DataFrame({PREDICTION_COLUMN: predictions})
    decided = decision.decide(predictions)
    return pl.DataFrame(
        {
            DECISION_COLUMN: np.asarray(decision.classes, dtype=str)[decided].tolist(),
            SCORE_COLUMN: predictions[np.arange(decided.size), decided],
        },
        schema={DECISION_COLUMN: pl.String, SCORE_COLUMN: pl.Float64},
    )


__all__ = ["task_contender", "train_task_version"]
