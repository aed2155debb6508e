"""A rolled-back canary is an alert to the model's owner, on the workspace's alert channels.

:class:`RollbackAlerts` turns a rollback (a failed guard, or an operator's decision) into an
:class:`~watchkeeper.alerts.notification.AlertNotification` delivered on every channel of
``alerts.channels`` (each tried ``alerts.delivery_attempts`` times, every delivery recorded),
keeps it as the alert :data:`ROLLBACK_RULE` (firing until the next canary starts, so alert
dashboards show it), and writes the decision to the audit log.

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
>>> alerts = RollbackAlerts(metadata, "card-fraud", OwnerConfig(name="Dana", contact="d@x.org"),
...                         AlertsConfig(), clock, channels=[Inbox()])
>>> [delivery.delivered for delivery in alerts.rolled_back(
...     challenger_version=2, rollout_id=7, reason="guard failed: error_rate 0.2", actor="watchkeeper")]
[True]
>>> sent[0].title(), sent[0].owner_contact
('[critical] card-fraud: canary rollback firing', 'd@x.org')
>>> metadata.alerts.get("card-fraud", ROLLBACK_RULE, None).state
'firing'
>>> metadata.close()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from watchkeeper.alerts.channels import AlertChannel
from watchkeeper.alerts.manager import ChannelDelivery
from watchkeeper.alerts.owner_notice import OwnerNotice, notify_owner, resolve_owner_notice
from watchkeeper.clock import Clock
from watchkeeper.config import AlertsConfig, OwnerConfig
from watchkeeper.storage.metadata.store import MetadataStore

ROLLBACK_RULE = "canary rollback"
"""The alert a rollback raises (one per model; it fires again at every rollback)."""
ROLLBACK_METRIC = "rollout_rolled_back"


class RollbackAlerts:
    """Alerts a model's owner when its canary is rolled back; resolves it at the next start."""

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
        self.clock = clock
        self._config = config
        self._channels = channels
        self._retry_delay_seconds = retry_delay_seconds
        self._sleep = sleep

    def rolled_back(
        self,
        *,
        challenger_version: int,
        rollout_id: int,
        reason: str,
        actor: str,
        evidence: dict[str, Any] | None = None,
    ) -> tuple[ChannelDelivery, ...]:
        """Fire the rollback alert and deliver it on every channel; return the deliveries.

        A failed guard is ``critical``; a rollback an operator asked for is a ``warning``.
        """
        severity = "critical" if actor == "watchkeeper" or "guard" in reason else "warning"
        summary = (
            f"canary of version {challenger_version} of {self.model!r} rolled back "
            f"by {actor}: {reason}"
        )
        details = {
            "rollout": rollout_id,
            "challenger": challenger_version,
            "actor": actor,
            "reason": reason,
            **(evidence or {}),
        }
        notice = OwnerNotice(
            ROLLBACK_RULE, ROLLBACK_METRIC, severity, float(challenger_version), summary, details
        )
        return notify_owner(
            self.metadata,
            self.model,
            self.owner,
            self._config,
            self.clock,
            notice,
            channels=self._channels,
            retry_delay_seconds=self._retry_delay_seconds,
            sleep=self._sleep,
        )

    def resolve(self) -> None:
        """Mark a firing rollback alert resolved (a new canary started)."""
        resolve_owner_notice(self.metadata, self.model, ROLLBACK_RULE, self.clock)


__all__ = ["ROLLBACK_METRIC", "ROLLBACK_RULE", "RollbackAlerts"]
