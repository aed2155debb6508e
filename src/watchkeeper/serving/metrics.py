"""The service's Prometheus metrics, on a registry created per app (never the global one).

>>> metrics = ServingMetrics()
>>> metrics.observe_score(version=1, route="champion", score=0.2, decision=False)
>>> metrics.reject("amount")
>>> text = metrics.exposition().decode()
>>> 'watchkeeper_rejected_events_total{field="amount"} 1.0' in text
True
>>> 'watchkeeper_flag_rate{model_version="1",route="champion"} 0.0' in text
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from watchkeeper.serving.spool_backlog import oldest_age_seconds
from watchkeeper.storage.events.spool import SpoolBacklog

if TYPE_CHECKING:
    from watchkeeper.serving.scorer import ScoreResult

ROLLOUT_STATES = ("idle", "canary", "awaiting_approval")
SCORE_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


@dataclass
class _ScoreSeries:
    """The labelled children of one (version, route), and its running flag counts."""

    scores: Any
    scored: Any
    flagged: Any
    flag_rate: Any
    count: int = 0
    flags: int = 0


class ServingMetrics:
    """Request counts and latencies, score histograms and flag rates, rejections, rollout
    state, the spool's backlog and its dead letters."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "watchkeeper_requests",
            "HTTP requests by endpoint and status code",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "watchkeeper_request_latency_seconds",
            "HTTP request latency by endpoint",
            ["endpoint"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.scores = Histogram(
            "watchkeeper_score",
            "Scores served, by model version and route",
            ["model_version", "route"],
            registry=self.registry,
            buckets=SCORE_BUCKETS,
        )
        self.scored = Counter(
            "watchkeeper_scored_events",
            "Events scored, by model version and route",
            ["model_version", "route"],
            registry=self.registry,
        )
        self.flagged = Counter(
            "watchkeeper_flagged_events",
            "Events flagged (decision true), by model version and route",
            ["model_version", "route"],
            registry=self.registry,
        )
        self.flag_rate = Gauge(
            "watchkeeper_flag_rate",
            "Share of scored events flagged since the service started",
            ["model_version", "route"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "watchkeeper_rejected_events",
            "Events rejected at the edge, by the field at fault",
            ["field"],
            registry=self.registry,
        )
        self.unknown_fields = Counter(
            "watchkeeper_unknown_fields",
            "Unknown fields seen in events (ignored or rejected)",
            registry=self.registry,
        )
        self.rollout_state = Gauge(
            "watchkeeper_rollout_state",
            "1 for the current rollout state",
            ["state"],
            registry=self.registry,
        )
        self.serving_version = Gauge(
            "watchkeeper_serving_model_version",
            "The version each alias serves",
            ["alias"],
            registry=self.registry,
        )
        self.canary_share = Gauge(
            "watchkeeper_rollout_canary_share",
            "The share of entities routed to the challenger",
            registry=self.registry,
        )
        self.spool_rows = Gauge(
            "watchkeeper_spool_backlog_rows",
            "Logged rows not yet moved from the spool to the event tables (the flusher's "
            "backlog, read at each scrape)",
            registry=self.registry,
        )
        self.spool_age = Gauge(
            "watchkeeper_spool_oldest_age_seconds",
            "How long the oldest row in the spool has waited for the flusher (0 when none)",
            registry=self.registry,
        )
        self.dead_letter_rows = Gauge(
            "watchkeeper_spool_dead_letter_rows",
            "Spooled rows the event store could not write, set aside as dead letters with "
            "their reason (watchkeeper dead-letters lists them; read at each scrape)",
            registry=self.registry,
        )
        self.outcomes = Counter(
            "watchkeeper_outcomes_received",
            "Outcomes accepted by /v1/outcomes, by value (one of the label's values or "
            "classes; 'number' for a regression outcome)",
            ["outcome"],
            registry=self.registry,
        )
        self.logged_predictions = Counter(
            "watchkeeper_logged_predictions",
            "Predictions of an external model received by /v1/predictions, by result "
            "(logged, repeated: logged before with the same content, refused)",
            ["result"],
            registry=self.registry,
        )
        self.refused_predictions = Counter(
            "watchkeeper_refused_predictions",
            "Predictions refused by /v1/predictions, by reason code",
            ["reason"],
            registry=self.registry,
        )
        self.spool_max_age = Gauge(
            "watchkeeper_spool_max_backlog_age_seconds",
            "The oldest row's wait beyond which /readyz fails (serving.max_backlog_age)",
            registry=self.registry,
        )
        self._series: dict[tuple[int, str], _ScoreSeries] = {}

    def observe_score(self, *, version: int, route: str, score: float, decision: bool) -> None:
        """Count one score in its version's histogram and flag rate."""
        series = self._series.get((version, route))
        if series is None:  # each (version, route) pair's children, looked up once
            labels = (str(version), route)
            series = _ScoreSeries(
                self.scores.labels(*labels),
                self.scored.labels(*labels),
                self.flagged.labels(*labels),  # exposed at 0 before the first flag
                self.flag_rate.labels(*labels),
            )
            self._series[(version, route)] = series
        series.scores.observe(score)
        series.scored.inc()
        series.count += 1
        if decision:
            series.flagged.inc()
            series.flags += 1
        series.flag_rate.set(series.flags / series.count)

    def observe(self, result: ScoreResult) -> None:
        """Count a score result: the deciding model's score and, if any, the shadow's.

        A flag is binary: a multiclass result counts its event and the probability of its
        decided class (the score histogram), a regression result its event only.
        """
        if result.task != "binary":
            self._observe_other(result.task, result.model_version, result.route, result.score)
            if result.shadow_version is not None and result.shadow_score is not None:
                self._observe_other(
                    result.task, result.shadow_version, "shadow", result.shadow_score
                )
            return
        self.observe_score(
            version=result.model_version,
            route=result.route,
            score=result.score,
            decision=result.decision is True,
        )
        if result.shadow_version is not None and result.shadow_score is not None:
            self.observe_score(
                version=result.shadow_version,
                route="shadow",
                score=result.shadow_score,
                decision=bool(result.shadow_decision),
            )

    def _observe_other(self, task: str, version: int, route: str, score: float) -> None:
        labels = (str(version), route)
        self.scored.labels(*labels).inc()
        if task == "multiclass":
            self.scores.labels(*labels).observe(score)

    def reject(self, field: str) -> None:
        """Count one rejected event (or request) and the field at fault."""
        self.rejected.labels(field).inc()

    def count_outcomes(self, values: list[str] | list[float]) -> None:
        """Count accepted outcomes by value (already checked against the label's values or
        classes); numbers, a regression's outcomes, are counted together as ``number``."""
        for value in values:
            self.outcomes.labels(value if isinstance(value, str) else "number").inc()

    def count_logged_predictions(
        self, *, logged: int, repeated: int, refused_reasons: list[str]
    ) -> None:
        """Count one ``/v1/predictions`` request's rows by result, and its refusals by reason.

        >>> metrics = ServingMetrics()
        >>> metrics.count_logged_predictions(logged=2, repeated=0, refused_reasons=["out_of_range"])
        >>> text = metrics.exposition().decode()
        >>> 'watchkeeper_logged_predictions_total{result="logged"} 2.0' in text
        True
        >>> 'watchkeeper_refused_predictions_total{reason="out_of_range"} 1.0' in text
        True
        """
        for result, count in (
            ("logged", logged),
            ("repeated", repeated),
            ("refused", len(refused_reasons)),
        ):
            self.logged_predictions.labels(result).inc(count)
        for reason in refused_reasons:
            self.refused_predictions.labels(reason).inc()

    def set_rollout(self, state: str, aliases: dict[str, int], canary_share: float) -> None:
        """Publish the rollout state, the aliases' versions and the canary share."""
        for known in (*ROLLOUT_STATES, state):
            self.rollout_state.labels(known).set(1.0 if known == state else 0.0)
        for alias, version in aliases.items():
            self.serving_version.labels(alias).set(version)
        self.canary_share.set(canary_share if state != "idle" else 0.0)

    def set_spool_backlog(self, backlog: SpoolBacklog, now: datetime) -> None:
        """Publish what waits in the spool: its rows and how long the oldest has waited;
        and the rows set aside as dead letters.

        >>> from datetime import UTC, datetime, timedelta
        >>> metrics = ServingMetrics()
        >>> now = datetime(2026, 1, 1, tzinfo=UTC)
        >>> metrics.set_spool_backlog(SpoolBacklog(2, 5, now - timedelta(seconds=12), 1), now)
        >>> text = metrics.exposition().decode()
        >>> "watchkeeper_spool_oldest_age_seconds 12.0" in text
        True
        >>> "watchkeeper_spool_dead_letter_rows 1.0" in text
        True
        """
        self.spool_rows.set(backlog.rows)
        self.dead_letter_rows.set(backlog.dead_letter_rows)
        self.spool_age.set(oldest_age_seconds(backlog, now))

    def exposition(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


__all__ = ["ServingMetrics"]
