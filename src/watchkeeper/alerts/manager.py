"""The alert manager: rules in, deduplicated notifications to the owner out, all recorded.

For each rule and feature the manager compares the evaluation with the stored state:

| stored state | rule now | action |
| --- | --- | --- |
| none or resolved | firing | **fire**: notify the owner on every channel |
| firing | firing | **deduplicate**, or **remind** once the cooldown has passed since the last notice |
| firing | quiet | **resolve**: notify that it cleared |
| none or resolved | quiet | nothing |

Each channel is tried up to ``alerts.delivery_attempts`` times; the outcome, failed or not, is
stored as a delivery record, and every fire, reminder and resolution goes to the audit log.
Time comes from the clock (event time in a replay).

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.config import AlertRuleConfig, AlertsConfig, OwnerConfig
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> from watchkeeper.storage.metadata.records import MetricRow
>>> day = datetime(2026, 6, 1, tzinfo=UTC)
>>> clock = EventTimeClock(day)
>>> metadata = open_metadata_store("sqlite://", clock)
>>> rule = AlertRuleConfig(name="input drift", metric="psi", threshold=0.25)
>>> manager = AlertManager(metadata, "card-fraud", OwnerConfig(name="Dana", contact="d@x.org"),
...                        AlertsConfig(rules=[rule]), clock)
>>> rows = [MetricRow("card-fraud", "psi", day - timedelta(days=i + 1), day - timedelta(days=i),
...                   feature="amount", value=0.4, status="alert") for i in range(3)]
>>> [outcome.action for outcome in manager.evaluate(rows)]
['fired']
>>> [outcome.action for outcome in manager.evaluate(rows)]
['deduplicated']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from watchkeeper.alerts.channels import AlertChannel, build_channel
from watchkeeper.alerts.notification import AlertNotification
from watchkeeper.alerts.rules import RuleEvaluation, evaluate_rule
from watchkeeper.clock import Clock
from watchkeeper.config import AlertsConfig, OwnerConfig
from watchkeeper.storage.metadata.alert_store import FIRING, RESOLVED, AlertRecord
from watchkeeper.storage.metadata.decision_kinds import ALERT, ALERT_RESOLVED
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.storage.metadata.store import MetadataStore

Action = Literal["fired", "reminded", "deduplicated", "resolved", "quiet"]


@dataclass(frozen=True)
class ChannelDelivery:
    """How one channel fared with one notification."""

    channel: str
    attempts: int
    delivered: bool
    error: str | None


@dataclass(frozen=True)
class AlertOutcome:
    """What the manager did about one rule on one feature."""

    evaluation: RuleEvaluation
    action: Action
    deliveries: tuple[ChannelDelivery, ...] = ()


class AlertManager:
    """Evaluates a model's alert rules and routes what fires to its owner."""

    def __init__(
        self,
        metadata: MetadataStore,
        model: str,
        owner: OwnerConfig,
        config: AlertsConfig,
        clock: Clock,
        channels: Sequence[AlertChannel] | None = None,
        retry_delay_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.metadata = metadata
        self.model = model
        self.owner = owner
        self.config = config
        self.clock = clock
        self.channels = (
            list(channels)
            if channels is not None
            else [build_channel(channel) for channel in config.channels]
        )
        self.retry_delay_seconds = retry_delay_seconds
        self._sleep = sleep

    def evaluate(self, rows: Sequence[MetricRow] | None = None) -> list[AlertOutcome]:
        """Evaluate every rule on ``rows`` (default: the model's whole metric series)."""
        series = list(rows) if rows is not None else self.metadata.metrics(self.model)
        outcomes = []
        for rule in self.config.rules:
            for evaluation in evaluate_rule(rule, series):
                outcomes.append(self._apply(evaluation))
        return outcomes

    def _apply(self, evaluation: RuleEvaluation) -> AlertOutcome:
        now = self.clock.now()
        store = self.metadata.alerts
        stored = store.get(self.model, evaluation.rule, evaluation.feature)
        active = stored is not None and stored.state == FIRING
        latest = evaluation.latest
        value = latest.value if latest is not None else None
        if not evaluation.firing:
            if not active or stored is None:
                return AlertOutcome(evaluation, "quiet")
            record = replace(
                stored, state=RESOLVED, value=value, resolved_at=now, last_evaluated_at=now
            )
            return self._notify(record, evaluation, "resolved")
        if active and stored is not None:
            last = stored.last_notified_at
            if last is not None and now - last < self.config.cooldown:
                store.save(replace(stored, value=value, last_evaluated_at=now))
                return AlertOutcome(evaluation, "deduplicated")
            return self._notify(
                replace(stored, value=value, last_evaluated_at=now), evaluation, "reminded"
            )
        record = AlertRecord(
            model=self.model,
            rule=evaluation.rule,
            feature=evaluation.feature,
            metric=evaluation.metric,
            severity=evaluation.severity,
            state=FIRING,
            value=value,
            threshold=evaluation.threshold,
            first_fired_at=now,
            last_evaluated_at=now,
            resolved_at=None,
        )
        return self._notify(record, evaluation, "fired")

    def _notify(
        self, record: AlertRecord, evaluation: RuleEvaluation, action: Action
    ) -> AlertOutcome:
        now = self.clock.now()
        evidence = {
            "rule": evaluation.rule,
            "metric": evaluation.metric,
            "feature": evaluation.feature,
            "threshold": evaluation.threshold,
            "direction": evaluation.direction,
            "breaches": evaluation.breaches,
            "windows": [
                {
                    "window_end": window.window_end.isoformat(),
                    "value": window.value,
                    "breached": window.breached,
                }
                for window in evaluation.windows
            ],
        }
        saved = self.metadata.alerts.save(replace(record, last_notified_at=now, evidence=evidence))
        assert saved.id is not None
        state = "resolved" if action == "resolved" else "firing"
        notification = AlertNotification(
            model=self.model,
            owner=self.owner.name,
            owner_contact=self.owner.contact,
            rule=evaluation.rule,
            metric=evaluation.metric,
            feature=evaluation.feature,
            severity=evaluation.severity,
            state=state,
            value=saved.value,
            threshold=evaluation.threshold,
            window_end=evaluation.latest.window_end if evaluation.latest else None,
            summary=evaluation.describe(),
            evidence=evidence,
        )
        deliveries = self.deliver(notification, saved.id)
        self.metadata.record_decision(
            model=self.model,
            kind=ALERT if state == "firing" else ALERT_RESOLVED,
            summary=f"{action}: {notification.summary}",
            evidence={
                **evidence,
                "severity": evaluation.severity,
                "owner": self.owner.contact,
                "deliveries": [delivery.__dict__ for delivery in deliveries],
            },
            at=now,
        )
        return AlertOutcome(evaluation, action, deliveries)

    def deliver(
        self, notification: AlertNotification, alert_id: int
    ) -> tuple[ChannelDelivery, ...]:
        """Deliver ``notification`` (of the stored alert ``alert_id``) on every channel, each
        retried with backoff and recorded; one channel's failure does not stop the others."""
        return tuple(self._deliver(channel, notification, alert_id) for channel in self.channels)

    def _deliver(
        self, channel: AlertChannel, notification: AlertNotification, alert_id: int
    ) -> ChannelDelivery:
        error: str | None = None
        attempts = 0
        for attempts in range(1, self.config.delivery_attempts + 1):
            try:
                channel.deliver(notification)
                error = None
                break
            except Exception as failure:  # a channel's failure must not stop the others
                error = f"{type(failure).__name__}: {failure}"
                if attempts < self.config.delivery_attempts:
                    self._sleep(self.retry_delay_seconds * 2 ** (attempts - 1))
        delivery = ChannelDelivery(channel.name, attempts, error is None, error)
        self.metadata.alerts.record_delivery(
            alert_id,
            channel.name,
            attempts=attempts,
            delivered=delivery.delivered,
            error=error,
            at=self.clock.now(),
        )
        return delivery


__all__ = ["AlertManager", "AlertOutcome", "ChannelDelivery"]
