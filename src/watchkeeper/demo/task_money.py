"""What a run's answers were worth for a churn, demand or triage model, judged on every outcome.

The money uses the workspace's own ``monitoring.business`` settings and the functions
monitoring uses (:mod:`watchkeeper.performance.costs`: binary through
:func:`~watchkeeper.performance.costs.binary_money`, as the monitor jobs), but on the
simulation's truth — every
outcome, including those the system had not received yet:

- binary and multiclass: the cost matrix, actual class -> decided class -> cost of one event
  (a gain is negative); a binary event's actual class is ``positive`` when its outcome is
  ``label.positive_outcome``;
- regression: ``under_cost`` per unit predicted short, ``over_cost`` per unit over.

Beside the money, the task's technical metrics over the events from the shift on (binary:
recall, precision, F1; multiclass: accuracy, macro F1; regression: MAE), and a weekly series
of events, cost and the headline metric (F1, accuracy, MAE).

>>> from datetime import date
>>> from watchkeeper.config import BusinessValueConfig, ModelConfig
>>> answers = pl.DataFrame({"event_id": ["a", "b", "c"], "prediction": [10.0, 4.0, 7.0]})
>>> truth = pl.DataFrame({"event_id": ["a", "b", "c"], "outcome": [8.0, 5.0, 7.0],
...                       "ts": pl.datetime_range(pl.datetime(2025, 6, 1), pl.datetime(2025, 6, 3),
...                                               "1d", eager=True, time_zone="UTC")})
>>> rules = TaskRules("regression", BusinessValueConfig(under_cost=2.0, over_cost=0.5))
>>> figures = task_figures(answers, truth, rules, shift=date(2025, 6, 2))
>>> figures.cost, figures.post_shift_cost, figures.post_shift_metrics
(3.0, 2.0, {'mae': 0.5})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl
from sklearn.metrics import precision_recall_fscore_support

from watchkeeper import metric_names as names
from watchkeeper.config import BusinessValueConfig, ModelTask, WorkspaceConfig
from watchkeeper.errors import ConfigError
from watchkeeper.performance.costs import (
    BINARY_CLASSES,
    binary_money,
    cost_matrix_value,
    regression_cost,
)
from watchkeeper.performance.multiclass import realized_multiclass
from watchkeeper.performance.regression import realized_regression

HEADLINE_METRIC: Mapping[str, str] = {
    str(task): name for task, name in names.PRIMARY_METRIC.items()
}
"""The metric of each task's weekly series."""
METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("recall", "precision", "f1"),
    "multiclass": ("accuracy", "macro_f1"),
    "regression": ("mae",),
}
"""The technical metrics reported over the period from the shift on."""


@dataclass(frozen=True)
class TaskRules:
    """How a task's answers are judged: the task, the money settings, the classes (multiclass)
    and the positive outcome (binary)."""

    task: ModelTask
    business: BusinessValueConfig
    classes: tuple[str, ...] = ()
    positive_outcome: str = "positive"

    @classmethod
    def of(cls, config: WorkspaceConfig) -> TaskRules:
        """The rules of a workspace; a binary or multiclass one needs a cost matrix."""
        task, business = config.model.task, config.monitoring.business
        if task != "regression" and business.cost_matrix is None:
            raise ConfigError(
                f"the {task} demo prices decisions with monitoring.business.cost_matrix, "
                "and this workspace has none"
            )
        return cls(
            task,
            business,
            tuple(config.label.classes or ()),
            config.label.positive_outcome,
        )

    def answer_column(self) -> str:
        """The column a run's answers are judged on."""
        return "prediction" if self.task == "regression" else "decision"


@dataclass(frozen=True)
class WeekFigures:
    """One week's events, cost and headline metric (weeks start on Monday, UTC)."""

    week: str
    events: int
    cost: float
    metric: float | None


@dataclass(frozen=True)
class TaskFigures:
    """A run's cost over all its events and from the shift on, the technical metrics from
    the shift on, and the weekly series."""

    task: str
    currency: str
    events: int
    cost: float
    post_shift_cost: float
    post_shift_metrics: dict[str, float | None]
    weekly: tuple[WeekFigures, ...]

    @property
    def headline_metric(self) -> str:
        """The name of the weekly series' metric."""
        return HEADLINE_METRIC[self.task]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: money rounded to cents, metrics to four decimals."""
        document = asdict(self)
        document["headline_metric"] = self.headline_metric
        for key in ("cost", "post_shift_cost"):
            document[key] = round(document[key], 2)
        document["post_shift_metrics"] = {
            name: _rounded(value) for name, value in self.post_shift_metrics.items()
        }
        for week in document["weekly"]:
            week["cost"] = round(week["cost"], 2)
            week["metric"] = _rounded(week["metric"])
        return document


def task_figures(
    answers: pl.DataFrame, truth: pl.DataFrame, rules: TaskRules, *, shift: date
) -> TaskFigures:
    """The figures of ``answers`` (event_id and the task's answer column) on ``truth``
    (event_id, ts, outcome); events without an outcome are left out."""
    column = rules.answer_column()
    joined = (
        truth.join(answers.select("event_id", column), on="event_id", how="inner")
        .sort("ts", maintain_order=True)
        .with_columns(week=pl.col("ts").dt.truncate("1w").dt.date().cast(pl.String))
    )
    moment = datetime.combine(shift, datetime.min.time())
    after = joined.filter(pl.col("ts").dt.replace_time_zone(None) >= moment)
    weeks = tuple(
        WeekFigures(
            str(week[0]),
            part.height,
            _cost(part, rules),
            _metrics(part, rules)[HEADLINE_METRIC[rules.task]],
        )
        for week, part in joined.group_by("week", maintain_order=True)
    )
    return TaskFigures(
        task=rules.task,
        currency=rules.business.currency,
        events=joined.height,
        cost=_cost(joined, rules),
        post_shift_cost=_cost(after, rules),
        post_shift_metrics=_metrics(after, rules),
        weekly=weeks,
    )


def _cost(frame: pl.DataFrame, rules: TaskRules) -> float:
    if rules.task == "regression":
        business = rules.business
        return regression_cost(
            frame["outcome"].cast(pl.Float64).to_numpy(),
            frame["prediction"].to_numpy(),
            business.under_cost,
            business.over_cost,
        ).total
    matrix = rules.business.cost_matrix
    assert matrix is not None  # TaskRules.of refuses a workspace without one
    if rules.task == "binary":
        positive = (frame["outcome"] == rules.positive_outcome).cast(pl.Float64)
        return binary_money(positive.to_numpy(), frame["decision"].to_numpy(), matrix).cost
    actual, decided = _classes(frame, rules)
    return cost_matrix_value(actual, decided, matrix, rules.classes).total


def _classes(frame: pl.DataFrame, rules: TaskRules) -> tuple[list[str | None], list[str]]:
    """Each event's actual and decided class (binary: ``positive`` or ``negative``)."""
    if rules.task == "binary":
        positive, negative = BINARY_CLASSES
        actual: list[str | None] = [
            positive if outcome == rules.positive_outcome else negative
            for outcome in frame["outcome"].to_list()
        ]
        return actual, [positive if flag else negative for flag in frame["decision"].to_list()]
    return list(frame["outcome"].to_list()), list(frame["decision"].to_list())


def _metrics(frame: pl.DataFrame, rules: TaskRules) -> dict[str, float | None]:
    if frame.height == 0:
        return dict.fromkeys(METRICS[rules.task])
    if rules.task == "regression":
        result = realized_regression(
            frame["outcome"].cast(pl.Float64).to_numpy(), frame["prediction"].to_numpy()
        )
        return {"mae": result.mae.value}
    if rules.task == "multiclass":
        actual, decided = _classes(frame, rules)
        performance = realized_multiclass(actual, decided, rules.classes)
        return {"accuracy": performance.accuracy.value, "macro_f1": performance.macro_f1}
    actual, decided = _classes(frame, rules)
    return _binary_metrics(actual, decided)


def _binary_metrics(
    actual: Sequence[str | None], decided: Sequence[str]
) -> dict[str, float | None]:
    """Recall, precision and F1 of the positive class (None where undefined)."""
    truth = np.array([value == "positive" for value in actual])
    flags = np.array([value == "positive" for value in decided])
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, flags, average="binary", zero_division=np.nan
    )
    return {"recall": _defined(recall), "precision": _defined(precision), "f1": _defined(f1)}


def _defined(value: Any) -> float | None:
    number = float(value)
    return None if np.isnan(number) else number


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


__all__ = [
    "HEADLINE_METRIC",
    "METRICS",
    "TaskFigures",
    "TaskRules",
    "WeekFigures",
    "task_figures",
]
