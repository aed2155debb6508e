"""Alert state as Prometheus gauges, for Alertmanager to route.

``watchkeeper_alert_firing{model, rule, feature, severity}`` is 1 while an alert fires and 0
once it resolves. The gauges live in a registry passed in (the service's own), never in the
global default registry.

>>> from datetime import UTC, datetime
>>> from prometheus_client import CollectorRegistry, generate_latest
>>> registry = CollectorRegistry()
>>> channel = PrometheusChannel(registry)
>>> channel.deliver(AlertNotification(model="card-fraud", owner="Dana", owner_contact="d@x",
...     rule="score drift", metric="score_psi", feature=None, severity="critical",
...     state="firing", value=0.4, threshold=0.25, window_end=None, summary="..."))
>>> b'watchkeeper_alert_firing{feature="",model="card-fraud",rule="score drift",severity="critical"} 1.0' in generate_latest(registry)
True
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge

from watchkeeper.alerts.notification import AlertNotification


class PrometheusChannel:
    """Sets the ``watchkeeper_alert_firing`` gauge of each alert."""

    name = "prometheus"

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.gauge = Gauge(
            "watchkeeper_alert_firing",
            "1 while a watchkeeper alert is firing, 0 once it resolved.",
            ["model", "rule", "feature", "severity"],
            registry=self.registry,
        )

    def deliver(self, notification: AlertNotification) -> None:
        """Set the alert's gauge to 1 (firing) or 0 (resolved)."""
        self.gauge.labels(
            model=notification.model,
            rule=notification.rule,
            feature=notification.feature or "",
            severity=notification.severity,
        ).set(1.0 if notification.state == "firing" else 0.0)


__all__ = ["PrometheusChannel"]
