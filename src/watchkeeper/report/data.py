"""Everything the report shows, read once from a workspace: metric series, weekly score
histograms, alerts, the audit log's decisions and the champion's lineage.

Reading is all this module does; nothing here renders, and nothing is written.

>>> import tempfile
>>> from pathlib import Path
>>> from watchkeeper.workspace import Workspace
>>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
...     data = collect_report_data(workspace)
>>> data.model, data.metrics, data.champion is None
('card-fraud', (), True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from watchkeeper.errors import WatchkeeperError
from watchkeeper.monitoring.job.score_histograms import (
    WeeklyScoreHistogram,
    weekly_score_histograms,
)
from watchkeeper.storage.metadata.alert_store import AlertRecord
from watchkeeper.storage.metadata.decision_kinds import DECISION_KINDS, SCHEMA_CHANGE
from watchkeeper.storage.metadata.records import AuditEntry, MetricRow

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

TIMELINE_KINDS = DECISION_KINDS - {SCHEMA_CHANGE}
"""The audit log's decision kinds the retraining and rollout timeline shows."""


@dataclass(frozen=True)
class ChampionLineage:
    """The current champion: its version, status, key metrics and recorded lineage (if any)."""

    version: int
    status: str
    created_at: datetime
    metrics: dict[str, Any]
    lineage: dict[str, Any] | None


@dataclass(frozen=True)
class Thresholds:
    """The PSI levels of the workspace: the default and any per-feature ones.

    >>> levels = Thresholds(0.1, 0.25, {"hour": (0.2, 0.4)})
    >>> levels.alert_of("amount"), levels.alert_of("hour"), levels.warn_of("hour")
    (0.25, 0.4, 0.2)
    """

    warn: float
    alert: float
    per_feature: dict[str, tuple[float, float]]

    def warn_of(self, feature: str) -> float:
        """The warn level of ``feature``."""
        return self.per_feature.get(feature, (self.warn, self.alert))[0]

    def alert_of(self, feature: str) -> float:
        """The alert level of ``feature``."""
        return self.per_feature.get(feature, (self.warn, self.alert))[1]


@dataclass(frozen=True)
class ReportData:
    """What one report shows, already limited to the requested weeks."""

    model: str
    owner: str
    generated_at: datetime
    metrics: tuple[MetricRow, ...]
    weekly_scores: tuple[WeeklyScoreHistogram, ...]
    alerts: tuple[AlertRecord, ...]
    decisions: tuple[AuditEntry, ...]
    champion: ChampionLineage | None
    aliases: dict[str, int]
    thresholds: Thresholds
    maturity_horizon: timedelta
    problems: tuple[str, ...] = ()
    task: str = "binary"
    """``model.task``: which performance and money series the report draws."""

    def rows(self, metric: str, feature: str | None = None) -> list[MetricRow]:
        """The rows of one metric (model level unless ``feature``), oldest window first."""
        return [row for row in self.metrics if row.metric == metric and row.feature == feature]

    @property
    def first_window(self) -> datetime | None:
        """The start of the earliest window shown."""
        return min((row.window_start for row in self.metrics), default=None)

    @property
    def last_window_end(self) -> datetime | None:
        """The end of the latest window shown."""
        return max((row.window_end for row in self.metrics), default=None)


def collect_report_data(workspace: Workspace, *, weeks: int | None = None) -> ReportData:
    """Read what the report needs from ``workspace``; ``weeks`` keeps only the latest weeks.

    A store that cannot be read leaves its sections empty and a line in ``problems``.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from watchkeeper.workspace import Workspace
    >>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
    ...     collect_report_data(workspace, weeks=0)
    Traceback (most recent call last):
    ...
    watchkeeper.errors.WatchkeeperError: --weeks must be 1 or more (got 0)
    """
    if weeks is not None and weeks < 1:
        raise WatchkeeperError(f"--weeks must be 1 or more (got {weeks})")
    config = workspace.config
    model = config.model.name
    problems: list[str] = []
    metadata = workspace.metadata
    metrics = metadata.metrics(model)
    cutoff = _cutoff(metrics, weeks)
    keep: Callable[[datetime], bool] = (
        (lambda _: True) if cutoff is None else (lambda at: at >= cutoff)
    )
    metrics = [row for row in metrics if keep(row.window_start)]
    scores: list[WeeklyScoreHistogram] = []
    if metrics:
        try:
            scores = [
                week
                for week in weekly_score_histograms(workspace, model_version=None)
                if cutoff is None or week.week_end > cutoff
            ]
        except WatchkeeperError as error:
            problems.append(f"weekly score histograms could not be read: {error}")
    decisions = [
        entry
        for entry in metadata.decisions(model, limit=5000)
        if entry.kind in TIMELINE_KINDS and keep(entry.at)
    ]
    alerts = [
        record
        for record in metadata.alerts.all(model)
        if keep(record.resolved_at or record.last_evaluated_at)
    ]
    champion, aliases = _champion(workspace, problems)
    monitoring = config.monitoring
    return ReportData(
        model=model,
        owner=config.owner.name,
        generated_at=workspace.clock.now(),
        metrics=tuple(metrics),
        weekly_scores=tuple(scores),
        alerts=tuple(alerts),
        decisions=tuple(sorted(decisions, key=lambda entry: (entry.at, entry.id))),
        champion=champion,
        aliases=aliases,
        thresholds=Thresholds(
            monitoring.psi.warn,
            monitoring.psi.alert,
            {name: (level.warn, level.alert) for name, level in monitoring.per_feature.items()},
        ),
        maturity_horizon=config.label.maturity_horizon,
        problems=tuple(problems),
        task=config.model.task,
    )


def _cutoff(metrics: list[MetricRow], weeks: int | None) -> datetime | None:
    if weeks is None or not metrics:
        return None
    try:
        return max(row.window_end for row in metrics) - timedelta(weeks=weeks)
    except OverflowError:  # more weeks than the calendar holds: everything
        return None


def _champion(
    workspace: Workspace, problems: list[str]
) -> tuple[ChampionLineage | None, dict[str, int]]:
    from watchkeeper.registry.registry import CHAMPION, ModelRegistry

    registry = ModelRegistry.for_workspace(workspace)
    aliases = registry.aliases()
    number = aliases.get(CHAMPION)
    if number is None:
        return None, aliases
    record = registry.record(number)
    try:
        found = registry.lineage(number)
    except WatchkeeperError as error:
        problems.append(f"the lineage of version {number} could not be read: {error}")
        found = None
    return (
        ChampionLineage(
            version=record.version,
            status=record.status,
            created_at=record.created_at,
            metrics=dict(record.metrics),
            lineage=found.to_dict() if found is not None else None,
        ),
        aliases,
    )


__all__ = ["TIMELINE_KINDS", "ChampionLineage", "ReportData", "Thresholds", "collect_report_data"]
