"""What a drill found: each monitor's and each alert rule's fate over the drilled windows.

Pure functions over metric rows. A **monitor** is one metric of one feature (or of the
model): the verdict monitors (``psi`` per feature, ``score_psi``, ``flag_rate``) *fire* in a
window whose row has status ``alert`` and *warn* at ``warn``; the data-quality monitors have
no verdict of their own, so they *moved* when their mean over the drilled windows differs from
the control's by more than :data:`QUALITY_TOLERANCE` (any change, for ``rejected_events``).
An **alert rule** is evaluated as the alert manager would, window after window, on the rows
known by then (:func:`~watchkeeper.alerts.rules.evaluate_rule`): the first window where it
fires, and in how many windows its threshold was breached.

>>> from datetime import UTC, datetime, timedelta
>>> day = datetime(2026, 6, 1, tzinfo=UTC)
>>> rows = [MetricRow("m", "psi", day + timedelta(days=i), day + timedelta(days=i + 1), feature="x",
...                   value=v, status="alert" if v > 0.25 else "ok", threshold=0.25)
...         for i, v in enumerate([0.1, 0.3, 0.4])]
>>> [(m.metric, m.feature, m.state, m.alert_windows) for m in monitor_findings(rows, rows)]
[('psi', 'x', 'fired', 2)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper import metric_names as names
from watchkeeper.alerts.rules import IGNORED_STATUSES, breaks, evaluate_rule
from watchkeeper.clock import as_utc
from watchkeeper.config import AlertRuleConfig
from watchkeeper.monitoring.job.windows import Window
from watchkeeper.storage.metadata.records import MetricRow

VERDICT_METRICS = (names.PSI, names.SCORE_PSI, names.FLAG_RATE)
"""Monitors with a verdict (status ``ok`` / ``warn`` / ``alert``) on every row."""

QUALITY_METRICS = (
    names.MISSING_RATE_CHANGE,
    names.UNSEEN_CATEGORY_SHARE,
    names.OUT_OF_SCHEMA_RANGE,
    names.OUT_OF_REFERENCE_RANGE,
    names.REJECTED_EVENTS,
)
"""Data-quality monitors: values without a verdict, compared with the control."""

QUALITY_TOLERANCE = 0.01
"""A quality share that moves by more than this (one percentage point) against the control
has moved."""


@dataclass(frozen=True)
class MonitorFinding:
    """One monitor over the drilled windows.

    ``state``: ``fired`` (an ``alert`` verdict in some window), ``warned`` (only ``warn``),
    ``moved`` (a quality metric away from the control), or ``silent``.
    """

    metric: str
    feature: str | None
    state: str
    alert_windows: int
    warn_windows: int
    first_alert_window: str | None
    mean_value: float | None
    control_mean_value: float | None

    @property
    def name(self) -> str:
        """``metric`` or ``metric:feature``."""
        return self.metric if self.feature is None else f"{self.metric}:{self.feature}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "monitor": self.name,
            "metric": self.metric,
            "feature": self.feature,
            "state": self.state,
            "alert_windows": self.alert_windows,
            "warn_windows": self.warn_windows,
            "first_alert_window": self.first_alert_window,
            "mean_value": self.mean_value,
            "control_mean_value": self.control_mean_value,
        }


@dataclass(frozen=True)
class RuleFinding:
    """One alert rule over the drilled windows.

    ``state``: ``fired``, ``silent``, or ``no_data`` (no row it can read, e.g. a realized
    performance rule: a drill has no labels). ``first_firing_window`` is the first window
    after which the rule fires; ``breached_windows`` counts the windows where
    some feature it watches broke the threshold; ``features`` names those that fired.
    """

    rule: str
    metric: str
    feature: str | None
    severity: str
    threshold: float
    direction: str
    state: str
    breached_windows: int
    first_firing_window: str | None
    features: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "rule": self.rule,
            "metric": self.metric,
            "feature": self.feature,
            "severity": self.severity,
            "threshold": self.threshold,
            "direction": self.direction,
            "state": self.state,
            "breached_windows": self.breached_windows,
            "first_firing_window": self.first_firing_window,
            "firing_features": list(self.features),
        }


def window_text(row: MetricRow) -> str:
    """The window of a row as ``start/end`` text (dates for whole days)."""
    return str(Window(as_utc(row.window_start), as_utc(row.window_end)))


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _series(rows: Iterable[MetricRow]) -> dict[tuple[str, str | None], list[MetricRow]]:
    series: dict[tuple[str, str | None], list[MetricRow]] = defaultdict(list)
    for row in rows:
        if row.metric in VERDICT_METRICS and row.threshold is None:
            continue  # companion rows carry no verdict of their own
        if row.metric in VERDICT_METRICS or row.metric in QUALITY_METRICS:
            if row.metric == names.REJECTED_EVENTS and row.feature is not None:
                continue  # per-reason rows: the total is the monitor
            series[(row.metric, row.feature)].append(row)
    return series


def monitor_findings(
    rows: Sequence[MetricRow], control: Sequence[MetricRow]
) -> list[MonitorFinding]:
    """Every monitor of ``rows``, compared with the same monitor in the ``control`` rows."""
    drilled, baseline = _series(rows), _series(control)
    findings = []
    for key in sorted(set(drilled) | set(baseline), key=lambda item: (item[0], item[1] or "")):
        metric, feature = key
        mine = sorted(drilled.get(key, []), key=lambda row: row.window_start)
        values = [row.value for row in mine if row.value is not None]
        control_values = [row.value for row in baseline.get(key, []) if row.value is not None]
        alerts = [row for row in mine if row.status == "alert"]
        warnings = [row for row in mine if row.status == "warn"]
        mean, control_mean = _mean(values), _mean(control_values)
        if metric in VERDICT_METRICS:
            state = "fired" if alerts else "warned" if warnings else "silent"
        else:
            tolerance = 0.0 if metric == names.REJECTED_EVENTS else QUALITY_TOLERANCE
            moved = abs((mean or 0.0) - (control_mean or 0.0)) > tolerance
            state = "moved" if moved else "silent"
        findings.append(
            MonitorFinding(
                metric=metric,
                feature=feature,
                state=state,
                alert_windows=len(alerts),
                warn_windows=len(warnings),
                first_alert_window=window_text(alerts[0]) if alerts else None,
                mean_value=mean,
                control_mean_value=control_mean,
            )
        )
    return findings


def rule_findings(rules: Sequence[AlertRuleConfig], rows: Sequence[MetricRow]) -> list[RuleFinding]:
    """Each rule evaluated window after window over ``rows``, as the alert manager would."""
    windows = {row.window_end: window_text(row) for row in rows}
    ends = sorted(windows)
    findings = []
    for rule in rules:
        readable = [
            row
            for row in rows
            if row.metric == rule.metric
            and row.value is not None
            and row.status not in IGNORED_STATUSES
            and (rule.feature is None or row.feature == rule.feature)
        ]
        breached = {
            row.window_end
            for row in readable
            if row.value is not None and breaks(row.value, rule.threshold, rule.direction)
        }
        first: datetime | None = None
        fired: set[str] = set()
        for end in ends:
            known = [row for row in readable if row.window_end <= end]
            for evaluation in evaluate_rule(rule, known):
                if evaluation.firing:
                    first = end if first is None else first
                    fired.add(evaluation.feature or rule.metric)
        state = "no_data" if not readable else "fired" if first is not None else "silent"
        findings.append(
            RuleFinding(
                rule=rule.name,
                metric=rule.metric,
                feature=rule.feature,
                severity=rule.severity,
                threshold=rule.threshold,
                direction=rule.direction,
                state=state,
                breached_windows=len(breached),
                first_firing_window=None if first is None else windows[first],
                features=tuple(sorted(fired)),
            )
        )
    return findings


__all__ = [
    "QUALITY_METRICS",
    "QUALITY_TOLERANCE",
    "VERDICT_METRICS",
    "MonitorFinding",
    "RuleFinding",
    "monitor_findings",
    "rule_findings",
    "window_text",
]
