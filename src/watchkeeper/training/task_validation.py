"""The validation gate of multiclass and regression models: the binary gate's rule, per task.

Champion and challenger are scored on the same holdout rows and compared on the task's
primary metric (``retraining.primary_metric``):

- multiclass: ``business_value`` (minus the cost-matrix cost of each decided class; read as
  ``macro_f1`` when no ``monitoring.business.cost_matrix`` is set), ``macro_f1`` or
  ``accuracy``, each model deciding by its own :class:`~watchkeeper.modeling.class_decision.ClassDecision`;
- regression: ``business_value`` (minus ``under_cost`` / ``over_cost`` per unit of error) or
  ``mae``, where lower is better: the compared difference is the *improvement*, champion's
  MAE minus challenger's.

As in :mod:`watchkeeper.training.validation`, the challenger passes only if the improvement
is above ``retraining.margin`` and its paired bootstrap interval
(:func:`~watchkeeper.training.bootstrap.paired_bootstrap`, ``retraining.bootstrap_samples``,
``retraining.confidence``, a fixed seed) lies entirely above zero; and, as there, a challenger
that does not pass is *undecided* rather than refused while the gate's power is below
``retraining.min_power`` (:mod:`~watchkeeper.training.gate_power`), its unit of evidence being
the holdout's labelled rows. A holdout with fewer than ``retraining.min_holdout_rows`` rows
stops before any scoring (a :class:`~watchkeeper.errors.NotEnoughLabelsError`: too early).

>>> from watchkeeper.config import BusinessValueConfig, RetrainingConfig
>>> rng = np.random.default_rng(0)
>>> truth = rng.normal(size=500)
>>> holdout = ValueHoldout(pl.DataFrame({"x": truth}), truth + rng.normal(0, 0.1, 500))
>>> class Noisy:
...     def __init__(self, noise): self.noise = noise
...     def predict_values(self, features):
...         return features["x"].to_numpy() + rng.normal(0, self.noise, features.height)
>>> result = value_validation_gate(TaskContender(Noisy(1.0)), TaskContender(Noisy(0.0)), holdout,
...     retraining=RetrainingConfig(primary_metric="mae"), business=BusinessValueConfig())
>>> result.accepted, result.champion_value > result.challenger_value
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import polars as pl

from watchkeeper import metric_names as names
from watchkeeper.config import BusinessValueConfig, ModelTask, RetrainingConfig
from watchkeeper.config.workspace_file import PRIMARY_METRICS
from watchkeeper.errors import NotEnoughLabelsError, TrainingDataError
from watchkeeper.modeling.class_decision import ClassDecision, cost_array
from watchkeeper.modeling.task_models import ClassProbabilityModel, TaskModel, ValueModel
from watchkeeper.training.bootstrap import (
    BootstrapInterval,
    CountStatistic,
    weighted_macro_f1,
    weighted_ratio,
    weighted_sum,
)
from watchkeeper.training.gate_power import GatePower
from watchkeeper.training.task_evaluation import (
    ClassEvaluation,
    ClassHoldout,
    FloatArray,
    IntArray,
    ValueEvaluation,
    ValueHoldout,
    class_value_contributions,
    evaluate_classes,
    evaluate_values,
    value_cost_contributions,
)
from watchkeeper.training.validation import (
    GateOutcome,
    check_champion_columns,
    checked_outputs,
    compare_statistics,
    power_evidence,
    scoring_features,
)

HoldoutT = TypeVar("HoldoutT", ClassHoldout, ValueHoldout)
OutputsT = TypeVar("OutputsT", IntArray, FloatArray)


@dataclass(frozen=True)
class TaskContender:
    """A model in the comparison, with its class decision (multiclass) and version if any.

    ``feature_schema`` and ``features`` mean what they mean for the binary
    :class:`~watchkeeper.training.validation.Contender`.
    """

    model: TaskModel
    decision: ClassDecision | None = None
    version: int | None = None
    feature_schema: Mapping[str, str] | None = None
    features: pl.DataFrame | None = None


@dataclass(frozen=True)
class TaskGateResult(GateOutcome):
    """The gate's verdict and its evidence; values are in the metric's own unit."""

    accepted: bool
    reason: str
    primary_metric: str
    lower_is_better: bool
    champion: ClassEvaluation | ValueEvaluation
    challenger: ClassEvaluation | ValueEvaluation
    champion_value: float
    challenger_value: float
    interval: BootstrapInterval
    margin: float
    undecided: bool = False
    power: GatePower | None = None
    rows_needed: int | None = None

    def evidence(self) -> dict[str, Any]:
        """A JSON-ready record of the comparison, for the audit log."""
        return {
            "primary_metric": self.primary_metric,
            "outcome": self.outcome,
            "lower_is_better": self.lower_is_better,
            "champion_value": self.champion_value,
            "challenger_value": self.challenger_value,
            "margin": self.margin,
            "bootstrap": self.interval.to_dict(),
            "power": power_evidence(
                self.power, self.champion.rows, self.rows_needed, "labelled_rows"
            ),
            "holdout_rows": self.champion.rows,
        }


def gate_metric(task: ModelTask, primary_metric: str, business: BusinessValueConfig) -> str:
    """The metric the gate compares a ``task`` model on.

    >>> gate_metric("multiclass", "business_value", BusinessValueConfig())
    'macro_f1'
    >>> gate_metric("regression", "pr_auc", BusinessValueConfig())
    Traceback (most recent call last):
    ...
    watchkeeper.errors.TrainingDataError: retraining.primary_metric 'pr_auc' does not apply to a regression model
    """
    if primary_metric not in PRIMARY_METRICS[task]:
        raise TrainingDataError(
            f"retraining.primary_metric {primary_metric!r} does not apply to a {task} model"
        )
    if task == "multiclass" and primary_metric == names.BUSINESS_VALUE and not business.cost_matrix:
        return names.MACRO_F1
    return primary_metric


def check_task_holdout(
    holdout: ClassHoldout | ValueHoldout,
    *,
    min_rows: int,
    champion: TaskContender | None = None,
) -> None:
    """Refuse a holdout too small to compare on, or one whose columns changed for the champion.

    >>> holdout = ValueHoldout(pl.DataFrame({"x": [1.0]}), np.array([2.0]))
    >>> check_task_holdout(holdout, min_rows=200)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.NotEnoughLabelsError: the holdout holds 1 labelled row(s), fewer than retraining.min_holdout_rows (200): too few to tell two models apart
    """
    if holdout.rows < min_rows:
        raise NotEnoughLabelsError(
            f"the holdout holds {holdout.rows} labelled row(s), fewer than "
            f"retraining.min_holdout_rows ({min_rows}): too few to tell two models apart",
            have=holdout.rows,
            needed=min_rows,
            unit="labelled rows",
        )
    if isinstance(holdout, ClassHoldout) and holdout.present.size < 2:
        raise TrainingDataError("the holdout holds a single class: nothing to compare on")
    check_champion_columns(champion, holdout.features, holdout.rows)


def class_validation_gate(
    champion: TaskContender,
    challenger: TaskContender,
    holdout: ClassHoldout,
    *,
    retraining: RetrainingConfig,
    business: BusinessValueConfig,
    seed: int = 0,
) -> TaskGateResult:
    """Compare two multiclass models on ``holdout``, each deciding by its own rule."""
    gate = _TaskGate("multiclass", _decided, evaluate_classes, _class_statistic)
    return gate.compare(champion, challenger, holdout, retraining, business, seed)


def value_validation_gate(
    champion: TaskContender,
    challenger: TaskContender,
    holdout: ValueHoldout,
    *,
    retraining: RetrainingConfig,
    business: BusinessValueConfig,
    seed: int = 0,
) -> TaskGateResult:
    """Compare two regression models on ``holdout``."""
    gate = _TaskGate("regression", _values, evaluate_values, _value_statistic)
    return gate.compare(champion, challenger, holdout, retraining, business, seed)


@dataclass(frozen=True)
class _TaskGate(Generic[HoldoutT, OutputsT]):
    """One task's gate: each model's outputs on the holdout, their evaluation and the
    bootstrap statistic of the gate's metric."""

    task: ModelTask
    outputs: Callable[[TaskContender, HoldoutT], OutputsT]
    evaluate: Callable[[OutputsT, HoldoutT, BusinessValueConfig], ClassEvaluation | ValueEvaluation]
    statistic: Callable[[str, OutputsT, HoldoutT, BusinessValueConfig], CountStatistic]

    def compare(
        self,
        champion: TaskContender,
        challenger: TaskContender,
        holdout: HoldoutT,
        retraining: RetrainingConfig,
        business: BusinessValueConfig,
        seed: int,
    ) -> TaskGateResult:
        metric = gate_metric(self.task, retraining.primary_metric, business)
        check_task_holdout(holdout, min_rows=retraining.min_holdout_rows, champion=champion)
        champion_outputs, challenger_outputs = (
            self.outputs(contender, holdout) for contender in (champion, challenger)
        )
        evaluations = [
            self.evaluate(outputs, holdout, business)
            for outputs in (champion_outputs, challenger_outputs)
        ]
        compared = compare_statistics(
            self.statistic(metric, champion_outputs, holdout, business),
            self.statistic(metric, challenger_outputs, holdout, business),
            rows=holdout.rows,
            retraining=retraining,
            seed=seed,
            ceiling=task_ceiling(metric, holdout, business),
        )
        lower_is_better = metric in names.LOWER_IS_BETTER
        sign = -1.0 if lower_is_better else 1.0
        direction = "reduction" if lower_is_better else "gain"
        needed = compared.sample_needed(holdout.rows)
        return TaskGateResult(
            accepted=compared.accepted,
            reason=compared.reason(
                f"{metric} {direction}",
                "challenger over champion",
                (holdout.rows, needed, "labelled rows"),
            ),
            primary_metric=metric,
            lower_is_better=lower_is_better,
            champion=evaluations[0],
            challenger=evaluations[1],
            champion_value=sign * compared.champion_value,
            challenger_value=sign * compared.challenger_value,
            interval=compared.interval,
            margin=retraining.margin,
            undecided=compared.undecided,
            power=compared.power,
            rows_needed=needed,
        )


def task_ceiling(
    metric: str, holdout: ClassHoldout | ValueHoldout, business: BusinessValueConfig
) -> float:
    """The best value the gate's statistic can take on ``holdout``: 1 for macro F1 and
    accuracy, 0 for minus the MAE and minus a regression cost, and for minus a cost matrix's
    cost the cheapest decision of each row's class.

    >>> holdout = ClassHoldout(pl.DataFrame({"x": [0.0, 0.0]}), np.array([0, 1]), ("a", "b"))
    >>> task_ceiling("business_value", holdout, BusinessValueConfig(
    ...     cost_matrix={"a": {"b": 2.0}, "b": {"b": -1.0}}))
    1.0
    """
    if metric in (names.MACRO_F1, names.ACCURACY):
        return 1.0
    if metric == names.BUSINESS_VALUE and isinstance(holdout, ClassHoldout):
        if business.cost_matrix is None:
            raise TrainingDataError(
                "a multiclass business value needs monitoring.business.cost_matrix"
            )
        costs = np.asarray(cost_array(business.cost_matrix, holdout.classes))
        return float(-costs[holdout.labels].min(axis=1).sum())
    return 0.0


def _class_statistic(
    metric: str, decided: IntArray, holdout: ClassHoldout, business: BusinessValueConfig
) -> CountStatistic:
    if metric == names.BUSINESS_VALUE:
        return weighted_sum(class_value_contributions(decided, holdout, business))
    if metric == names.ACCURACY:
        return weighted_ratio((decided == holdout.labels).astype(np.float64), np.ones(decided.size))
    return weighted_macro_f1(decided, holdout.labels, holdout.present)


def _value_statistic(
    metric: str, predicted: FloatArray, holdout: ValueHoldout, business: BusinessValueConfig
) -> CountStatistic:
    if metric == names.BUSINESS_VALUE:
        return weighted_sum(value_cost_contributions(predicted, holdout, business))
    return _negated_mean(np.abs(predicted - holdout.values))


def _negated_mean(values: FloatArray) -> CountStatistic:
    """Minus the count-weighted mean of ``values``: higher is better, as the gate wants."""
    ratio = weighted_ratio(values, np.ones(values.size))

    def statistic(counts: FloatArray) -> FloatArray:
        negated: FloatArray = -ratio(counts)
        return negated

    return statistic


def _checked_features(
    contender: TaskContender, holdout: ClassHoldout | ValueHoldout
) -> pl.DataFrame:
    return scoring_features(contender, holdout.features, holdout.rows)


def _decided(contender: TaskContender, holdout: ClassHoldout) -> IntArray:
    model = contender.model
    if not isinstance(model, ClassProbabilityModel) or contender.decision is None:
        raise TrainingDataError(
            f"model version {contender.version} is no multiclass model with a decision rule"
        )
    if tuple(model.classes) != holdout.classes:
        raise TrainingDataError(
            f"model version {contender.version} knows classes {', '.join(model.classes)}, the "
            f"holdout {', '.join(holdout.classes)}: a class list change needs a new comparison"
        )
    probabilities = model.predict_probabilities(_checked_features(contender, holdout))
    return contender.decision.decide(probabilities)


def _values(contender: TaskContender, holdout: ValueHoldout) -> FloatArray:
    model = contender.model
    if not isinstance(model, ValueModel):
        raise TrainingDataError(f"model version {contender.version} is no regression model")
    values = model.predict_values(_checked_features(contender, holdout))
    return checked_outputs(values, holdout.rows, contender.version, "predictions")


__all__ = [
    "TaskContender",
    "TaskGateResult",
    "check_task_holdout",
    "class_validation_gate",
    "gate_metric",
    "task_ceiling",
    "value_validation_gate",
]
