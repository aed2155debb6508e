"""A one-off alert to a model's owner: stored, delivered on every channel, audited.

Rule alerts come from metric series (:class:`~watchkeeper.alerts.manager.AlertManager`);
some events are alerts by themselves — a canary rolled back, a retraining requested from a
team that retrains its own model, a retraining loop out of attempts. :func:`notify_owner`
keeps such an alert as a firing record of its rule (so alert dashboards show it), delivers it
through the alert manager's router (same channels, retries and delivery records as rule
alerts) and writes the decision to the audit log; :func:`resolve_owner_notice` marks it
resolved once its cause is gone.

>>> from datetime import UTC, datetime
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.config import AlertsConfig, OwnerConfig
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> clock = EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC))
>>> metadata = open_metadata_store("sqlite://", clock)
>>> sent = []
>>> class Inbox:
...     name = "inbox"
...     def deliver(self, notification): sent.append(notification)
>>> notice = OwnerNotice(rule="retraining requested", metric="retrain_requested",
...                      severity="warning", value=1.0, summary="drift on plan")
>>> deliveries = notify_owner(metadata, "churn", OwnerConfig(name="Jo", contact="jo@x.org"),
...                           AlertsConfig(), clock, notice, channels=[Inbox()])
>>> [delivery.delivered for delivery in deliveries], sent[0].title()
([True], '[warning] churn: retraining requested firing')
>>> metadata.close()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from watchkeeper.alerts.channels import AlertChannel
from watchkeeper.alerts.manager import AlertManager, ChannelDelivery
from watchkeeper.alerts.notification import AlertNotification
from watchkeeper.clock import Clock
from watchkeeper.config import AlertsConfig, OwnerConfig
from watchkeeper.storage.metadata.alert_store import FIRING, RESOLVED, AlertRecord
from watchkeeper.storage.metadata.decision_kinds import ALERT
from watchkeeper.storage.metadata.store import MetadataStore


@dataclass(frozen=True)
class OwnerNotice:
    """What the owner is told: the alert's rule and metric, severity, value and evidence."""

    rule: str
    metric: str
    severity: str
    value: float
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


def notify_owner(
    metadata: MetadataStore,
    model: str,
    owner: OwnerConfig,
    config: AlertsConfig,
    clock: Clock,
    notice: OwnerNotice,
    *,
    channels: Sequence[AlertChannel] | None = None,
    retry_delay_seconds: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[ChannelDelivery, ...]:
    """Store ``notice`` as a firing alert of its rule, deliver it, audit it; return the
    deliveries (one per channel of ``alerts.channels``, or of ``channels``)."""
    now = clock.now()
    saved = metadata.alerts.save(
        AlertRecord(
            model=model,
            rule=notice.rule,
            feature=None,
            metric=notice.metric,
            severity=notice.severity,
            state=FIRING,
            value=notice.value,
            threshold=0.0,
            first_fired_at=now,
            last_evaluated_at=now,
            last_notified_at=now,
            evidence=notice.evidence,
        )
    )
    assert saved.id is not None
    notification = AlertNotification(
        model=model,
        owner=owner.name,
        owner_contact=owner.contact,
        rule=notice.rule,
        metric=notice.metric,
        feature=None,
        severity=notice.severity,
        state=FIRING,
        value=notice.value,
        threshold=0.0,
        window_end=None,
        summary=notice.summary,
        evidence=notice.evidence,
    )
    router = AlertManager(
        metadata, model, owner, config, clock, channels, retry_delay_seconds, sleep
    )
    deliveries = router.deliver(notification, saved.id)
    metadata.record_decision(
        model=model,
        kind=ALERT,
        summary=f"fired: {notice.summary}",
        evidence={
            **notice.evidence,
            "severity": notice.severity,
            "owner": owner.contact,
            "deliveries": [vars(delivery) for delivery in deliveries],
        },
        at=now,
    )
    return deliveries


def resolve_owner_notice(metadata: MetadataStore, model: str, rule: str, clock: Clock) -> bool:
    """Mark the firing notice of ``rule`` resolved; whether there was one to resolve."""
    stored = metadata.alerts.get(model, rule, None)
    if stored is None or stored.state != FIRING:
        return False
    now = clock.now()
    metadata.alerts.save(replace(stored, state=RESOLVED, resolved_at=now, last_evaluated_at=now))
    return True


__all__ = ["OwnerNotice", "notify_owner", "resolve_owner_notice"]
