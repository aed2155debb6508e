"""Alert rules over the metric series: threshold, direction and persistence.

A rule looks at one metric (for one feature, or for each feature separately) over the most
recent windows. It fires when at least ``persistence.breaches`` of the last
``persistence.windows`` windows break the threshold: "2 of the last 3" keeps a single noisy
day from paging anyone, while a real shift fires within days. Windows whose value is
missing, whose labels are not mature yet, or whose drift was not judged (a version warming
up, too few rows, a window short of the feature's cycle: :mod:`watchkeeper.monitoring.job.judgement`)
neither break nor clear a rule.

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.config import AlertRuleConfig
>>> from watchkeeper.storage.metadata.records import MetricRow
>>> day = datetime(2026, 6, 1, tzinfo=UTC)
>>> rows = [MetricRow("card-fraud", "psi", day + timedelta(days=i), day + timedelta(days=i + 1),
...                   feature="amount", value=value, status="ok") for i, value in enumerate([0.05, 0.3, 0.4])]
>>> rule = AlertRuleConfig(name="input drift", metric="psi", threshold=0.25)
>>> [(result.feature, result.firing, result.breaches) for result in evaluate_rule(rule, rows)]
[('amount', True, 2)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from watchkeeper.config import AlertRuleConfig
from watchkeeper.storage.metadata.records import UNJUDGED_STATUSES, MetricRow

IGNORED_STATUSES = UNJUDGED_STATUSES
"""Row statuses that say nothing yet: they neither break nor clear a rule."""


@dataclass(frozen=True)
class WindowValue:
    """One window's value of the watched metric."""

    window_end: datetime
    value: float
    breached: bool


@dataclass(frozen=True)
class RuleEvaluation:
    """Whether a rule fires for one feature (None: a model-level metric), with the evidence."""

    rule: str
    metric: str
    feature: str | None
    severity: str
    threshold: float
    direction: str
    firing: bool
    breaches: int
    windows: tuple[WindowValue, ...]

    @property
    def latest(self) -> WindowValue | None:
        """The most recent window considered."""
        return self.windows[-1] if self.windows else None

    def describe(self) -> str:
        """One line for a notification: what, where, how much, against what.

        >>> from datetime import UTC, datetime
        >>> RuleEvaluation("input drift", "psi", "amount", "warning", 0.25, "above", True, 1,
        ...     (WindowValue(datetime(2026, 6, 3, tzinfo=UTC), 0.4, True),)).describe()
        'input drift: psi of amount is 0.4 (above 0.25 in 1 of the last 1 windows, to 2026-06-03)'
        """
        target = f"{self.metric} of {self.feature}" if self.feature else self.metric
        latest = self.latest
        if latest is None:
            return f"{self.rule}: no data for {target}"
        return (
            f"{self.rule}: {target} is {latest.value:.4g} ({self.direction} {self.threshold:g} "
            f"in {self.breaches} of the last {len(self.windows)} windows, "
            f"to {latest.window_end.date().isoformat()})"
        )


def breaks(value: float, threshold: float, direction: str) -> bool:
    """True when ``value`` is on the wrong side of ``threshold``.

    >>> breaks(0.3, 0.25, "above"), breaks(0.5, 0.6, "below"), breaks(0.25, 0.25, "above")
    (True, True, False)
    """
    return value > threshold if direction == "above" else value < threshold


def evaluate_rule(rule: AlertRuleConfig, rows: Iterable[MetricRow]) -> list[RuleEvaluation]:
    """Evaluate ``rule`` on metric rows of one model; one result per feature it watches."""
    by_feature: dict[str | None, dict[datetime, float]] = defaultdict(dict)
    for row in rows:
        if row.metric != rule.metric or row.value is None or row.status in IGNORED_STATUSES:
            continue
        if rule.feature is not None and row.feature != rule.feature:
            continue
        by_feature[row.feature][row.window_end] = row.value  # a recomputed window replaces
    results = []
    for feature in sorted(by_feature, key=lambda name: "" if name is None else name):
        series = sorted(by_feature[feature].items())[-rule.persistence.windows :]
        windows = tuple(
            WindowValue(end, value, breaks(value, rule.threshold, rule.direction))
            for end, value in series
        )
        breaches = sum(window.breached for window in windows)
        results.append(
            RuleEvaluation(
                rule=rule.name,
                metric=rule.metric,
                feature=feature,
                severity=rule.severity,
                threshold=rule.threshold,
                direction=rule.direction,
                firing=breaches >= rule.persistence.breaches,
                breaches=breaches,
                windows=windows,
            )
        )
    return results


__all__ = ["IGNORED_STATUSES", "RuleEvaluation", "WindowValue", "breaks", "evaluate_rule"]
