"""Alert rules and the manager: persistence, deduplication, cooldown, resolution, deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from watchkeeper.alerts.manager import AlertManager
from watchkeeper.alerts.notification import AlertNotification
from watchkeeper.alerts.rules import evaluate_rule
from watchkeeper.clock import EventTimeClock
from watchkeeper.config import AlertRuleConfig, AlertsConfig, OwnerConfig
from watchkeeper.config.lifecycle import Persistence
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.storage.metadata.store import MetadataStore, open_metadata_store

DAY = datetime(2026, 6, 1, tzinfo=UTC)
OWNER = OwnerConfig(name="Dana Reyes", contact="dana@example.com")
DRIFT = AlertRuleConfig(
    name="input drift", metric="psi", threshold=0.25, persistence=Persistence(breaches=2, windows=3)
)
RECALL = AlertRuleConfig(
    name="recall drop",
    metric="recall",
    threshold=0.6,
    direction="below",
    persistence=Persistence(breaches=1, windows=1),
)


def series(
    metric: str, values: list[float | None], feature: str | None = "amount", status: str = "ok"
) -> list[MetricRow]:
    return [
        MetricRow(
            "card-fraud",
            metric,
            DAY + timedelta(days=i),
            DAY + timedelta(days=i + 1),
            value=value,
            status=status,
            feature=feature,
        )
        for i, value in enumerate(values)
    ]


class RecordingChannel:
    def __init__(self, name: str = "recording", failures: int = 0) -> None:
        self.name = name
        self.failures = failures
        self.received: list[AlertNotification] = []
        self.calls = 0

    def deliver(self, notification: AlertNotification) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("receiver down")
        self.received.append(notification)


@pytest.fixture
def metadata(database_url: str) -> Iterator[MetadataStore]:
    with open_metadata_store(database_url, EventTimeClock(DAY)) as store:
        yield store


@pytest.mark.parametrize(
    ("values", "firing"),
    [
        ([0.3, 0.05, 0.05], False),  # one old breach
        ([0.05, 0.3, 0.05], False),  # a single noisy day
        ([0.3, 0.05, 0.3], True),  # 2 of the last 3
        ([0.3, 0.3, 0.3, 0.05, 0.05], False),  # recovered: the old breaches slid out
        ([0.25, 0.25, 0.25], False),  # on the threshold is not above it
    ],
)
def test_persistence_two_of_three(values: list[float], firing: bool) -> None:
    [result] = evaluate_rule(DRIFT, series("psi", values))
    assert result.firing is firing


def test_each_feature_is_its_own_alert_and_immature_windows_are_ignored() -> None:
    rows = series("psi", [0.4, 0.4], "amount") + series("psi", [0.01, 0.01], "hour")
    results = {result.feature: result.firing for result in evaluate_rule(DRIFT, rows)}
    assert results == {"amount": True, "hour": False}
    immature = series("recall", [0.2], feature=None, status="immature")
    assert evaluate_rule(RECALL, immature) == []
    assert evaluate_rule(RECALL, series("recall", [0.2], feature=None))[0].firing


def make_manager(
    metadata: MetadataStore,
    clock: EventTimeClock,
    channels: list[RecordingChannel],
    cooldown: str = "1d",
) -> AlertManager:
    config = AlertsConfig.model_validate(
        {"rules": [DRIFT.model_dump()], "cooldown": cooldown, "delivery_attempts": 3}
    )
    return AlertManager(
        metadata, "card-fraud", OWNER, config, clock, channels=channels, sleep=lambda _: None
    )


def test_fire_deduplicate_remind_resolve(metadata: MetadataStore) -> None:
    clock = EventTimeClock(DAY + timedelta(days=3))
    channel = RecordingChannel()
    manager = make_manager(metadata, clock, [channel])
    drifting = series("psi", [0.3, 0.4, 0.5])
    assert [o.action for o in manager.evaluate(drifting)] == ["fired"]
    clock.advance(timedelta(hours=6))
    assert [o.action for o in manager.evaluate(drifting)] == ["deduplicated"]
    clock.advance(timedelta(days=1))
    assert [o.action for o in manager.evaluate(drifting)] == ["reminded"]
    calm = drifting + series("psi", [0.3, 0.4, 0.5, 0.01, 0.01, 0.01])[3:]
    assert [o.action for o in manager.evaluate(calm)] == ["resolved"]
    assert [o.action for o in manager.evaluate(calm)] == ["quiet"]
    assert [note.state for note in channel.received] == ["firing", "firing", "resolved"]
    assert channel.received[0].owner_contact == "dana@example.com"
    assert "psi of amount is 0.5" in channel.received[0].summary
    kinds = [entry.kind for entry in metadata.decisions("card-fraud")]
    assert kinds == ["alert_resolved", "alert", "alert"]
    [alert] = metadata.alerts.all("card-fraud")
    assert alert.state == "resolved"
    assert alert.resolved_at == clock.now()


def test_failed_deliveries_are_retried_and_recorded(metadata: MetadataStore) -> None:
    clock = EventTimeClock(DAY + timedelta(days=3))
    flaky = RecordingChannel("flaky", failures=2)
    dead = RecordingChannel("dead", failures=99)
    healthy = RecordingChannel("healthy")
    manager = make_manager(metadata, clock, [flaky, dead, healthy])
    [outcome] = manager.evaluate(series("psi", [0.3, 0.4, 0.5]))
    by_channel = {delivery.channel: delivery for delivery in outcome.deliveries}
    assert by_channel["flaky"].delivered and by_channel["flaky"].attempts == 3
    assert not by_channel["dead"].delivered and by_channel["dead"].attempts == 3
    assert "receiver down" in (by_channel["dead"].error or "")
    assert len(healthy.received) == 1  # a dead channel does not stop the others
    records = {record.channel: record for record in metadata.alerts.deliveries()}
    assert records["dead"].delivered is False and records["dead"].attempts == 3
    assert records["flaky"].delivered is True


def test_stable_series_stays_silent(metadata: MetadataStore) -> None:
    clock = EventTimeClock(DAY + timedelta(days=60))
    channel = RecordingChannel()
    manager = make_manager(metadata, clock, [channel])
    stable = series("psi", [0.01, 0.03, 0.02, 0.26, 0.02, 0.01] * 10)  # one noisy day in six
    assert {o.action for o in manager.evaluate(stable)} == {"quiet"}
    assert channel.received == []
