"""Training-serving skew as metrics and alerts: what ``watchkeeper skew-check`` records.

Each feature's mismatch rate becomes a ``skew_mismatch_rate`` row of the metric series for
the checked range, and the alert rules on that metric run at once. A workspace without such
a rule gets a built-in one: any feature above the check's threshold is a critical alert for
the owner — served inputs that training never produced are the case study's second failure.

>>> rule = default_skew_rule(0.001)
>>> rule.metric, rule.severity, rule.persistence.breaches
('skew_mismatch_rate', 'critical', 1)
"""

from __future__ import annotations

from datetime import datetime

from watchkeeper import metric_names as names
from watchkeeper.alerts.manager import AlertManager, AlertOutcome
from watchkeeper.config import AlertRuleConfig
from watchkeeper.config.lifecycle import Persistence
from watchkeeper.features.skew import SkewReport
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.workspace import Workspace

SKEW_METRIC = names.SKEW_MISMATCH_RATE


def default_skew_rule(threshold: float) -> AlertRuleConfig:
    """The rule used when the workspace has none on ``skew_mismatch_rate``."""
    return AlertRuleConfig(
        name="training-serving skew",
        metric=SKEW_METRIC,
        threshold=threshold,
        direction="above",
        persistence=Persistence(breaches=1, windows=1),
        severity="critical",
    )


def skew_metric_rows(
    report: SkewReport,
    model: str,
    model_version: int | None,
    window_start: datetime,
    window_end: datetime,
) -> list[MetricRow]:
    """One metric row per compared feature, with the check's threshold and verdict."""
    return [
        MetricRow(
            model=model,
            metric=SKEW_METRIC,
            window_start=window_start,
            window_end=window_end,
            value=comparison.mismatch_rate,
            status="alert" if comparison.mismatch_rate > report.threshold else "ok",
            feature=comparison.name,
            model_version=model_version,
            threshold=report.threshold,
        )
        for comparison in report.features
        if comparison.compared
    ]


def record_skew(
    workspace: Workspace,
    report: SkewReport,
    model_version: int | None,
    window_start: datetime,
    window_end: datetime,
) -> list[AlertOutcome]:
    """Write the report to the metric series and run the skew alert rules over it."""
    config = workspace.config
    rows = skew_metric_rows(report, config.model.name, model_version, window_start, window_end)
    workspace.metadata.upsert_metrics(rows)
    rules = [rule for rule in config.alerts.rules if rule.metric == SKEW_METRIC]
    alerts = config.alerts.model_copy(
        update={"rules": rules or [default_skew_rule(report.threshold)]}
    )
    manager = AlertManager(
        workspace.metadata, config.model.name, config.owner, alerts, workspace.clock
    )
    return manager.evaluate(rows)


__all__ = ["SKEW_METRIC", "default_skew_rule", "record_skew", "skew_metric_rows"]
