"""The report of a churn, demand or triage model draws the task's performance and money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchkeeper.report.data import ReportData, Thresholds
from watchkeeper.report.page import render_report
from watchkeeper.storage.metadata.records import MetricRow

DAY = datetime(2026, 6, 1, tzinfo=UTC)


def rows(values: dict[str, float], days: int = 3, status: str = "ok") -> tuple[MetricRow, ...]:
    return tuple(
        MetricRow(
            "m",
            metric,
            DAY + timedelta(days=index),
            DAY + timedelta(days=index + 1),
            value=value,
            status=status,
            model_version=1,
        )
        for index in range(days)
        for metric, value in values.items()
    )


def report(task: str, metrics: tuple[MetricRow, ...]) -> str:
    data = ReportData(
        "m", "Owner", DAY + timedelta(days=9), metrics, (), (), (), None, {},
        Thresholds(0.1, 0.25, {}), timedelta(days=1), task=task,
    )  # fmt: skip
    return render_report(data)


def test_a_churn_report_shows_f1_and_the_cost_matrix_money() -> None:
    page = report(
        "binary",
        rows({"recall": 0.5, "precision": 0.25, "f1": 1 / 3, "estimated_f1": 0.3})
        + rows({"cost": 50.0, "business_value": 70.0, "estimated_cost": 40.0}),
    )
    assert "realized F1" in page and "estimated F1" in page
    assert "<td>F1</td><td>03 Jun 2026</td><td>33.3%</td><td>30.0%</td>" in page
    # three windows of 50: the realized total beside the estimate's
    assert "<td>cost</td><td>150</td><td>120</td>" in page
    assert "<td>value against no model</td><td>210</td>" in page
    assert "fraud prevented" not in page
    assert "net value realized over the windows" in page


def test_a_demand_report_shows_mae_in_its_unit_and_the_cost_of_errors() -> None:
    page = report(
        "regression",
        rows({"mae": 2.5, "rmse": 3.25, "estimated_mae": 2.0})
        + rows({"cost": 12.0, "under_prediction_cost": 9.0, "over_prediction_cost": 3.0}),
    )
    assert "<td>MAE</td><td>03 Jun 2026</td><td>2.50</td><td>2.00</td>" in page
    assert "<td>RMSE</td><td>03 Jun 2026</td><td>3.25</td><td>\u2013</td>" in page
    assert "direct loss estimation" in page
    assert "<td>under-prediction cost</td><td>27</td>" in page
    assert "cost realized over the windows" in page and "recall" not in page


def test_a_triage_report_before_any_mature_window_says_so() -> None:
    page = report("multiclass", rows({"accuracy": 0.8, "macro_f1": 0.7}, status="immature"))
    assert "realized accuracy" in page and "realized macro F1" in page
    assert "No window is mature yet" in page
