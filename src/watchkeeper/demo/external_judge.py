"""What a run of a team's model was worth, judged against the simulation's truth.

Money is the workspace's own money model (``monitoring.business``, the functions monitoring
uses): the cost matrix for binary and multiclass decisions, the under- and over-prediction
costs for regression — but on every event's true outcome, not on the labels received so far.
The task's metric (binary F1, multiclass accuracy, regression MAE: the metric that compares
versions) comes from scikit-learn on the same events. Weeks start on Monday, UTC.

>>> from datetime import UTC, datetime
>>> from watchkeeper.config import BusinessValueConfig
>>> business = BusinessValueConfig(cost_matrix={"positive": {"positive": -30.0, "negative": 60.0},
...                                             "negative": {"positive": 10.0}})
>>> truth = pl.DataFrame({"event_id": ["a", "b", "c"], "outcome": ["churned", "churned", "renewed"],
...                       "ts": [datetime(2026, 6, 1, tzinfo=UTC)] * 3})
>>> decided = pl.DataFrame({"event_id": ["a", "b", "c"], "decision": [True, False, True]})
>>> run = judge_run(decided, truth, "binary", business, positive_outcome="churned")
>>> run.cost, run.metric_name, round(run.metric, 3)
(40.0, 'f1', 0.5)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error

from watchkeeper.config import BusinessValueConfig, ModelTask
from watchkeeper.errors import ConfigError
from watchkeeper.metric_names import PRIMARY_METRIC
from watchkeeper.performance.costs import BINARY_CLASSES, cost_matrix_value, regression_cost


@dataclass(frozen=True)
class WeekJudgement:
    """One week's events, cost (negative: a gain) and metric."""

    week: str
    events: int
    cost: float
    metric: float | None


@dataclass(frozen=True)
class RunJudgement:
    """A whole run's cost and metric on the truth, and its weekly series."""

    metric_name: str
    events: int
    cost: float
    metric: float | None
    weekly: tuple[WeekJudgement, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: money to cents, the metric to four places."""
        document = asdict(self)
        for part in (document, *document["weekly"]):
            part["cost"] = round(part["cost"], 2)
            part["metric"] = None if part["metric"] is None else round(part["metric"], 4)
        return document


def judge_run(
    decisions: pl.DataFrame,
    truth: pl.DataFrame,
    task: ModelTask,
    business: BusinessValueConfig,
    *,
    positive_outcome: str | None = None,
) -> RunJudgement:
    """Judge ``decisions`` (``event_id`` and the task's ``decision`` or ``prediction``) on
    ``truth`` (``event_id``, ``ts``, ``outcome``); events missing from either are left out.

    Binary needs ``positive_outcome``; binary and multiclass need a cost matrix.
    """
    if task != "regression" and business.cost_matrix is None:
        raise ConfigError(
            f"monitoring.business.cost_matrix: a {task} run is judged with a cost matrix; "
            "the workspace has none"
        )
    if task == "binary" and positive_outcome is None:
        raise ConfigError("label.positive_outcome: a binary run needs the positive outcome")
    column = "prediction" if task == "regression" else "decision"
    joined = truth.join(decisions.select("event_id", column), on="event_id", how="inner")
    joined = joined.sort("ts").with_columns(
        week=pl.col("ts").dt.truncate("1w").dt.date().cast(pl.String)
    )
    weekly = tuple(
        WeekJudgement(str(week[0]), part.height, *_judged(part, task, business, positive_outcome))
        for week, part in joined.group_by("week", maintain_order=True)
    )
    cost, metric = _judged(joined, task, business, positive_outcome)
    return RunJudgement(PRIMARY_METRIC[task], joined.height, cost, metric, weekly)


def _judged(
    frame: pl.DataFrame,
    task: ModelTask,
    business: BusinessValueConfig,
    positive_outcome: str | None,
) -> tuple[float, float | None]:
    """The cost and the metric of ``frame``'s events (the metric None without events)."""
    if frame.is_empty():
        return 0.0, None
    if task == "regression":
        actual = frame["outcome"].cast(pl.Float64).to_numpy()
        predicted = frame["prediction"].to_numpy()
        money = regression_cost(actual, predicted, business.under_cost, business.over_cost)
        return money.total, float(mean_absolute_error(actual, predicted))
    assert business.cost_matrix is not None
    if task == "binary":
        truth = (frame["outcome"] == positive_outcome).to_list()
        decided = frame["decision"].to_list()
        cost = cost_matrix_value(
            [_binary_class(value) for value in truth],
            [_binary_class(value) for value in decided],
            business.cost_matrix,
            BINARY_CLASSES,
        )
        return cost.total, float(f1_score(truth, decided, zero_division=0.0))
    true_classes, decided_classes = frame["outcome"].to_list(), frame["decision"].to_list()
    matrix = business.cost_matrix
    named = {*matrix, *(name for row in matrix.values() for name in row)}
    classes = sorted({*true_classes, *decided_classes, *named})
    cost = cost_matrix_value(true_classes, decided_classes, matrix, classes)
    return cost.total, float(accuracy_score(true_classes, decided_classes))


def _binary_class(flag: bool) -> str:
    return BINARY_CLASSES[0] if flag else BINARY_CLASSES[1]


__all__ = ["RunJudgement", "WeekJudgement", "judge_run"]
