"""What the report's performance and money sections show for each task.

The metric series of a model are named by :mod:`~watchkeeper.metric_names`; the
report draws the ones of the workspace's ``model.task``:

- performance: binary recall, precision and F1; multiclass accuracy and macro F1; regression
  MAE and RMSE (in the target's unit, not a share), each realized against its estimate;
- money: the cost of a cost matrix (binary, multiclass) or of under- and over-prediction
  (regression), and a binary model's value against no model, when the monitor wrote
  ``cost`` rows; else the fraud example's amounts (fraud loss approved, prevented, review
  cost, net value).

A table gives each metric's latest mature realized value beside the estimate of the same
window, so a reader sees at once whether the estimates held.

>>> [name for name, _ in performance_lines("multiclass")]
['accuracy', 'macro_f1']
>>> performance_format("regression"), performance_format("binary")
('{:,.2f}', '{:.0%}')
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from watchkeeper import metric_names as names
from watchkeeper.report.data import ReportData
from watchkeeper.report.svg import ALERT_COLOUR, OK_COLOUR, PALETTE, WARN_COLOUR

NO_VALUE = "\u2013"

_PERFORMANCE: dict[str, tuple[tuple[str, str], ...]] = {
    "binary": ((names.RECALL, "recall"), (names.PRECISION, "precision"), (names.F1, "F1")),
    "multiclass": ((names.ACCURACY, "accuracy"), (names.MACRO_F1, "macro F1")),
    "regression": ((names.MAE, "MAE"), (names.RMSE, "RMSE")),
}

FRAUD_MONEY_METRICS = (
    (names.FRAUD_PREVENTED, "fraud prevented", OK_COLOUR),
    (names.REVIEW_COST, "review cost", WARN_COLOUR),
    (names.FALSE_DECLINE_COST, "false-decline cost", PALETTE[3]),
    (names.BUSINESS_VALUE, "net value", PALETTE[0]),
    (names.FRAUD_LOSS_APPROVED, "fraud loss approved", ALERT_COLOUR),
)
"""The money of a model priced by transaction amounts (the fraud example): the net value's
terms, the net value, then the fraud loss (not a term of it: approving everything would lose
that fraud too)."""
TASK_MONEY_METRICS = (
    (names.COST, "cost", ALERT_COLOUR),
    (names.BUSINESS_VALUE, "value against no model", PALETTE[0]),
    (names.UNDER_PREDICTION_COST, "under-prediction cost", WARN_COLOUR),
    (names.OVER_PREDICTION_COST, "over-prediction cost", PALETTE[1]),
)
"""The money of a cost matrix, or of a regression's errors (what the monitor writes)."""


def performance_lines(task: str) -> tuple[tuple[str, str], ...]:
    """The performance metrics drawn for ``task``: (series name, label)."""
    return _PERFORMANCE.get(task, _PERFORMANCE["binary"])


def performance_format(task: str) -> str:
    """How the performance values of ``task`` are printed: shares, or the target's unit."""
    return "{:,.2f}" if task == "regression" else "{:.0%}"


def money_metrics(data: ReportData) -> tuple[tuple[str, str, str], ...]:
    """The money series to draw: the task's costs when the monitor wrote ``cost`` rows,
    else the fraud amounts.

    >>> from datetime import UTC, datetime, timedelta
    >>> from watchkeeper.report.data import Thresholds
    >>> from watchkeeper.storage.metadata.records import MetricRow
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> data = ReportData("churn", "Priya", day, (MetricRow("churn", "cost", day,
    ...     day + timedelta(days=1), value=50.0, status="ok"),), (), (), (), None, {},
    ...     Thresholds(0.1, 0.25, {}), timedelta(days=31), task="binary")
    >>> [name for name, _, _ in money_metrics(data)]
    ['cost', 'business_value', 'under_prediction_cost', 'over_prediction_cost']
    """
    if any(row.metric == names.COST for row in data.metrics):
        return TASK_MONEY_METRICS
    return FRAUD_MONEY_METRICS


def latest_values_table(data: ReportData, metrics: Sequence[tuple[str, str]], shown: str) -> str:
    """A table of each metric's latest mature realized value (mean over the versions that
    served its window) and the estimate of that window, '' when no metric has one.

    >>> from datetime import UTC, datetime, timedelta
    >>> from watchkeeper.report.data import Thresholds
    >>> from watchkeeper.storage.metadata.records import MetricRow
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> rows = (MetricRow("d", "mae", day, day + timedelta(days=1), value=2.0, status="ok"),
    ...         MetricRow("d", "estimated_mae", day, day + timedelta(days=1), value=1.75,
    ...                   status="ok"))
    >>> data = ReportData("d", "Ana", day, rows, (), (), (), None, {}, Thresholds(0.1, 0.25, {}),
    ...                   timedelta(days=1), task="regression")
    >>> "<td>MAE</td><td>01 Jun 2026</td><td>2.00</td><td>1.75</td>" in latest_values_table(
    ...     data, performance_lines("regression"), "{:,.2f}")
    True
    """
    lines = []
    for metric, label in metrics:
        mature = [row for row in data.rows(metric) if row.status == "ok" and row.value is not None]
        if not mature:
            continue
        window = max(row.window_start for row in mature)
        realized = [row.value for row in mature if row.window_start == window]
        estimates = [
            row.value
            for row in data.rows(names.estimated(metric))
            if row.window_start == window and row.value is not None
        ]
        estimate = NO_VALUE if not estimates else shown.format(sum(estimates) / len(estimates))
        value = shown.format(sum(v for v in realized if v is not None) / len(realized))
        lines.append(
            f"<tr><td>{escape(label)}</td><td>{window:%d %b %Y}</td><td>{value}</td>"
            f"<td>{estimate}</td></tr>"
        )
    if not lines:
        return ""
    return (
        '<table class="numbers"><thead><tr><th>latest mature window</th><th>window</th>'
        f"<th>realized</th><th>estimated</th></tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )


__all__ = [
    "FRAUD_MONEY_METRICS",
    "TASK_MONEY_METRICS",
    "latest_values_table",
    "money_metrics",
    "performance_format",
    "performance_lines",
]
