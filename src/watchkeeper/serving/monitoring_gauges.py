"""What monitoring found, as Prometheus gauges: drift, performance, money, alerts, rollout.

The monitor job writes its results to the metadata store's metric series; the alert manager
its alert states; the rollout controller the running canary. :class:`MonitoringCollector`
reads them on scrape (at most once per ``cache_seconds`` of the service clock, 15 by default)
and exposes the latest window of each series, so the operations team's Prometheus and Grafana
watch the model, not only the process:

- ``watchkeeper_feature_psi{model, model_version, feature}`` — input drift per feature;
- ``watchkeeper_score_psi{model, model_version}`` — prediction drift;
- ``watchkeeper_model_performance{model, model_version, metric, source, maturity}`` — the
  task's performance: binary recall, precision, F1, false-positive rate, ROC AUC, PR AUC;
  multiclass accuracy, macro and weighted F1, ROC AUC; regression MAE, RMSE, MAPE, bias, R²;
  ``source`` is ``realized`` (known labels) or ``estimated`` (CBPE, direct loss
  estimation), ``maturity`` is ``mature`` or ``immature`` for realized rows (``none`` for
  estimates, which need no label);
- ``watchkeeper_business_value{model, model_version, metric, source, maturity}`` — money:
  fraud loss approved, fraud prevented, review and false-decline cost, net value
  (``business_value``), value against the baseline; with a cost matrix ``cost``,
  ``cost_per_event``, ``business_value`` and ``value_against_baseline``; regression ``cost``
  and the under- and over-prediction costs;
- ``watchkeeper_monitoring_window_end_timestamp_seconds{model, model_version}`` — the end of
  the latest window monitored (how fresh the figures are);
- ``watchkeeper_alert_state{model, rule, feature, severity}`` — 1 firing, 0 resolved;
- ``watchkeeper_rollout_info{model, state, champion_version, challenger_version}`` — 1 for
  the current rollout state (``idle`` without a canary).

A store that cannot be read leaves the last figures in place (the scrape never fails).

>>> from datetime import UTC, datetime, timedelta
>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> from watchkeeper.storage.metadata.records import MetricRow
>>> day = datetime(2026, 6, 1, tzinfo=UTC)
>>> clock = EventTimeClock(day + timedelta(days=1))
>>> metadata = open_metadata_store("sqlite://", clock)
>>> metadata.upsert_metrics([MetricRow("fraud", "psi", day, day + timedelta(days=1), value=0.3,
...     status="alert", feature="amount", model_version=1)])
1
>>> registry = CollectorRegistry()
>>> registry.register(MonitoringCollector(metadata, "fraud", clock))
>>> text = generate_latest(registry).decode()
>>> 'watchkeeper_feature_psi{feature="amount",model="fraud",model_version="1"} 0.3' in text
True
>>> metadata.close()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from watchkeeper import metric_names as names
from watchkeeper.clock import Clock
from watchkeeper.errors import WatchkeeperError
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.storage.metadata.store import MetadataStore

logger = logging.getLogger(__name__)

GAUGED_PERFORMANCE = tuple(
    dict.fromkeys(
        (
            *names.PERFORMANCE_METRICS,
            *names.realized_metrics("multiclass"),
            *names.realized_metrics("regression"),
        )
    )
)
"""Every task's performance metrics: a model exposes those its monitor writes."""
GAUGED_MONEY = tuple(
    dict.fromkeys(
        (
            *names.BUSINESS_METRICS,
            *names.money_metrics("binary"),
            *names.money_metrics("regression"),
        )
    )
)
"""Money: the fraud amounts, a cost matrix's cost and value, a regression's error costs."""
LOOKBACK = timedelta(days=8)
"""Once the latest window is known, later scrapes read only windows from this far before it."""

RolloutReader = Callable[[], tuple[str, int | None, int | None]]
"""Returns the rollout state, the champion version and the challenger version."""


class MonitoringCollector(Collector):
    """A Prometheus collector over a model's metric series, alerts and rollout state."""

    def __init__(
        self,
        metadata: MetadataStore,
        model: str,
        clock: Clock,
        *,
        rollout: RolloutReader | None = None,
        cache_seconds: float = 15.0,
    ) -> None:
        self.metadata = metadata
        self.model = model
        self.clock = clock
        self.rollout = rollout
        self.cache = timedelta(seconds=cache_seconds)
        self._lock = threading.Lock()
        self._read_at: datetime | None = None
        self._families: list[Metric] = []
        self._latest_end: datetime | None = None

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: registering must not read the store."""
        return []

    def collect(self) -> Iterable[Metric]:
        """The gauges, read from the stores when the cache is older than ``cache_seconds``."""
        with self._lock:
            now = self.clock.now()
            if self._read_at is None or not (self._read_at <= now < self._read_at + self.cache):
                try:
                    self._families = self._read()
                    self._read_at = now
                except WatchkeeperError:
                    logger.exception("monitoring gauges: the metadata store could not be read")
            return list(self._families)

    def _read(self) -> list[Metric]:
        rows = self._latest_rows()
        families = _metric_families(self.model, rows)
        families.append(self._alerts())
        if self.rollout is not None:
            families.append(self._rollout())
        return families

    def _latest_rows(self) -> list[MetricRow]:
        since = None if self._latest_end is None else self._latest_end - LOOKBACK
        rows = self.metadata.metrics(self.model, start=since)
        if not rows and since is not None:
            rows = self.metadata.metrics(self.model)
        latest = latest_windows(rows)
        if latest:
            self._latest_end = max(row.window_end for row in latest)
        return latest

    def _alerts(self) -> Metric:
        family = GaugeMetricFamily(
            "watchkeeper_alert_state",
            "1 while a monitoring or rollout alert fires, 0 once it resolved",
            labels=["model", "rule", "feature", "severity"],
        )
        for record in self.metadata.alerts.all(self.model):
            family.add_metric(
                [record.model, record.rule, record.feature or "", record.severity],
                1.0 if record.state == "firing" else 0.0,
            )
        return family

    def _rollout(self) -> Metric:
        assert self.rollout is not None
        state, champion, challenger = self.rollout()
        family = GaugeMetricFamily(
            "watchkeeper_rollout_info",
            "1 for the current rollout state, with the champion and challenger versions",
            labels=["model", "state", "champion_version", "challenger_version"],
        )
        family.add_metric([self.model, state, _version(champion), _version(challenger)], 1.0)
        return family


def latest_windows(rows: Sequence[MetricRow]) -> list[MetricRow]:
    """The latest row of each series (metric, feature, version): the latest window end, then
    the shortest window (a day rather than the week that ends with it).

    >>> from datetime import UTC
    >>> end = datetime(2026, 6, 8, tzinfo=UTC)
    >>> rows = [MetricRow("m", "psi", end - timedelta(days=days), end - timedelta(days=back),
    ...                   value=float(days), status="ok", feature="amount")
    ...         for days, back in ((8, 7), (7, 0), (1, 0))]
    >>> [row.value for row in latest_windows(rows)]
    [1.0]
    """
    latest: dict[tuple[str, str | None, int | None], MetricRow] = {}
    for row in rows:
        key = (row.metric, row.feature, row.model_version)
        kept = latest.get(key)
        if kept is None or _recency(row) > _recency(kept):
            latest[key] = row
    return list(latest.values())


def _recency(row: MetricRow) -> tuple[datetime, timedelta]:
    return row.window_end, row.window_start - row.window_end


def _metric_families(model: str, rows: Sequence[MetricRow]) -> list[Metric]:
    feature_psi = GaugeMetricFamily(
        "watchkeeper_feature_psi",
        "Population stability index of each input feature, latest monitoring window",
        labels=["model", "model_version", "feature"],
    )
    score_psi = GaugeMetricFamily(
        "watchkeeper_score_psi",
        "Population stability index of the scores, latest monitoring window",
        labels=["model", "model_version"],
    )
    performance = GaugeMetricFamily(
        "watchkeeper_model_performance",
        "Realized (known labels) and estimated (CBPE) performance, latest monitoring window",
        labels=["model", "model_version", "metric", "source", "maturity"],
    )
    business = GaugeMetricFamily(
        "watchkeeper_business_value",
        "Money of the model's decisions, realized and estimated, latest monitoring window",
        labels=["model", "model_version", "metric", "source", "maturity"],
    )
    window_end = GaugeMetricFamily(
        "watchkeeper_monitoring_window_end_timestamp_seconds",
        "End of the latest monitoring window with results (Unix seconds)",
        labels=["model", "model_version"],
    )
    ends: dict[str, datetime] = {}
    for row in rows:
        version = _version(row.model_version)
        ends[version] = max(ends.get(version, row.window_end), row.window_end)
        if row.value is None:
            continue
        name = row.metric
        if name == names.PSI and row.feature:
            feature_psi.add_metric([model, version, row.feature], row.value)
        elif name == names.SCORE_PSI:
            score_psi.add_metric([model, version], row.value)
        elif row.feature is None:
            estimated = name.startswith(names.ESTIMATED_PREFIX)
            base = name.removeprefix(names.ESTIMATED_PREFIX)
            source = "estimated" if estimated else "realized"
            maturity = "none" if estimated else _maturity(row.status)
            if base in GAUGED_PERFORMANCE:
                performance.add_metric([model, version, base, source, maturity], row.value)
            elif base in GAUGED_MONEY:
                business.add_metric([model, version, base, source, maturity], row.value)
    for version, end in sorted(ends.items()):
        window_end.add_metric([model, version], end.timestamp())
    return [feature_psi, score_psi, performance, business, window_end]


def _maturity(status: str) -> str:
    return "immature" if status == "immature" else "mature"


def _version(version: int | None) -> str:
    return "" if version is None else str(version)


__all__ = ["GAUGED_MONEY", "GAUGED_PERFORMANCE", "MonitoringCollector", "latest_windows"]
