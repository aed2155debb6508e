"""Monitors and alert rules judged over hand-made metric rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchkeeper.config import AlertRuleConfig
from watchkeeper.drill.findings import monitor_findings, rule_findings
from watchkeeper.storage.metadata.records import MetricRow

DAY = datetime(2026, 6, 1, tzinfo=UTC)


def rows(
    metric: str, values: list[float | None], feature: str | None = "amount", limit: float = 0.25
) -> list[MetricRow]:
    made = []
    for index, value in enumerate(values):
        status = "no_data" if value is None else "alert" if value >= limit else "ok"
        if value is not None and limit * 0.4 <= value < limit:
            status = "warn"
        made.append(
            MetricRow(
                "card-fraud", metric, DAY + timedelta(days=index), DAY + timedelta(days=index + 1),
                value=value, status=status, feature=feature, model_version=1,
                threshold=limit if metric in ("psi", "score_psi", "flag_rate") else None,
            )
        )  # fmt: skip
    return made


RULE = AlertRuleConfig.model_validate(
    {"name": "input drift", "metric": "psi", "threshold": 0.25,
     "persistence": {"breaches": 2, "windows": 3}}
)  # fmt: skip


def test_a_persistent_rule_fires_on_its_second_breach_not_its_first() -> None:
    (finding,) = rule_findings([RULE], rows("psi", [0.05, 0.3, 0.02, 0.4, 0.5]))
    assert finding.state == "fired"
    assert finding.breached_windows == 3
    assert finding.first_firing_window == "2026-06-04/2026-06-05"  # 0.3 then 0.4 in 3 windows
    assert finding.features == ("amount",)


def test_one_breach_in_three_windows_stays_silent() -> None:
    (finding,) = rule_findings([RULE], rows("psi", [0.05, 0.3, 0.02, 0.05, 0.01]))
    assert (finding.state, finding.breached_windows, finding.first_firing_window) == (
        "silent", 1, None,
    )  # fmt: skip


def test_a_rule_without_readable_rows_has_no_data() -> None:
    recall = AlertRuleConfig(name="recall drop", metric="recall", threshold=0.6, direction="below")
    (finding,) = rule_findings([recall], rows("recall", [None, None], feature=None))
    assert finding.state == "no_data" and finding.breached_windows == 0


def test_verdict_monitors_fire_warn_or_stay_silent() -> None:
    drilled = rows("psi", [0.3, 0.4]) + rows("psi", [0.12, 0.02], feature="hour")
    drilled += rows("psi", [0.01, 0.02], feature="weekday")
    found = {item.name: item for item in monitor_findings(drilled, drilled)}
    assert found["psi:amount"].state == "fired" and found["psi:amount"].alert_windows == 2
    assert found["psi:amount"].first_alert_window == "2026-06-01/2026-06-02"
    assert found["psi:hour"].state == "warned" and found["psi:hour"].warn_windows == 1
    assert found["psi:weekday"].state == "silent"


def test_quality_monitors_move_only_against_the_control() -> None:
    control = rows("unseen_category_share", [0.0, 0.0], feature="mcc")
    control += rows("missing_rate_change", [0.001, 0.0], feature="mcc")
    drilled = rows("unseen_category_share", [0.3, 0.3], feature="mcc")
    drilled += rows("missing_rate_change", [0.004, 0.002], feature="mcc")
    found = {item.name: item for item in monitor_findings(drilled, control)}
    assert found["unseen_category_share:mcc"].state == "moved"
    assert found["unseen_category_share:mcc"].control_mean_value == 0.0
    assert found["missing_rate_change:mcc"].state == "silent"  # within one point
