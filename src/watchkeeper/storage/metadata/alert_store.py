"""The state of each alert and the record of every delivery, in the metadata database.

One row per (model, rule, feature) says whether that alert is firing, since when, and when
the owner was last told — what deduplication and cooldown need. Every delivery attempt to a
channel, failed ones included, is a row of ``alert_deliveries``.

>>> from datetime import UTC, datetime
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> at = datetime(2026, 6, 1, tzinfo=UTC)
>>> store = open_metadata_store("sqlite://", EventTimeClock(at)).alerts
>>> saved = store.save(AlertRecord(model="card-fraud", rule="input drift", feature="amount",
...     metric="psi", severity="warning", state="firing", value=0.4, threshold=0.25,
...     first_fired_at=at, last_evaluated_at=at))
>>> store.get("card-fraud", "input drift", "amount").state
'firing'
>>> store.record_delivery(saved.id, "log", attempts=1, delivered=True, error=None, at=at)
>>> [delivery.channel for delivery in store.deliveries(saved.id)]
['log']
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from watchkeeper.storage.metadata.database import conflict_aware_insert, reader, translated_errors
from watchkeeper.storage.metadata.tables import NO_FEATURE, alert_deliveries, alerts

FIRING = "firing"
RESOLVED = "resolved"


@dataclass(frozen=True)
class AlertRecord:
    """The current state of one alert; ``feature`` is None for a model-level metric."""

    model: str
    rule: str
    feature: str | None
    metric: str
    severity: str
    state: str
    value: float | None
    threshold: float
    first_fired_at: datetime
    last_evaluated_at: datetime
    last_notified_at: datetime | None = None
    resolved_at: datetime | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True)
class DeliveryRecord:
    """One channel's delivery of one alert notification."""

    alert_id: int
    channel: str
    attempts: int
    delivered: bool
    error: str | None
    at: datetime


def _values(record: AlertRecord) -> dict[str, Any]:
    return {
        "model": record.model,
        "rule": record.rule,
        "feature": NO_FEATURE if record.feature is None else record.feature,
        "metric": record.metric,
        "severity": record.severity,
        "state": record.state,
        "value": record.value,
        "threshold": record.threshold,
        "first_fired_at": record.first_fired_at,
        "last_evaluated_at": record.last_evaluated_at,
        "last_notified_at": record.last_notified_at,
        "resolved_at": record.resolved_at,
        "evidence": record.evidence,
    }


def _record(row: sa.RowMapping) -> AlertRecord:
    return AlertRecord(
        model=row["model"],
        rule=row["rule"],
        feature=None if row["feature"] == NO_FEATURE else row["feature"],
        metric=row["metric"],
        severity=row["severity"],
        state=row["state"],
        value=row["value"],
        threshold=row["threshold"],
        first_fired_at=row["first_fired_at"],
        last_evaluated_at=row["last_evaluated_at"],
        last_notified_at=row["last_notified_at"],
        resolved_at=row["resolved_at"],
        evidence=dict(row["evidence"]),
        id=row["id"],
    )


class AlertStore:
    """Reads and writes alert state; obtained as ``MetadataStore.alerts``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader(engine)

    def get(self, model: str, rule: str, feature: str | None) -> AlertRecord | None:
        """The alert of ``rule`` on ``feature`` (None: model level), if it ever fired."""
        query = sa.select(alerts).where(
            alerts.c.model == model,
            alerts.c.rule == rule,
            alerts.c.feature == (NO_FEATURE if feature is None else feature),
        )
        with translated_errors(self._engine, "read an alert"), self._reader.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _record(row)

    def save(self, record: AlertRecord) -> AlertRecord:
        """Insert or replace the alert's state (one row per model, rule and feature)."""
        values = _values(record)
        with translated_errors(self._engine, "save an alert"), self._engine.begin() as connection:
            statement = conflict_aware_insert(connection, alerts).values(**values)
            updated = {
                name: statement.excluded[name]
                for name in values
                if name not in ("model", "rule", "feature")
            }
            upsert = statement.on_conflict_do_update(
                index_elements=["model", "rule", "feature"], set_=updated
            ).returning(alerts.c.id)
            alert_id = int(connection.execute(upsert).scalar_one())
        return replace(record, id=alert_id)

    def firing(self, model: str | None = None) -> list[AlertRecord]:
        """Every alert now firing (of one model, or of all), most recently evaluated first."""
        query = sa.select(alerts).where(alerts.c.state == FIRING)
        if model is not None:
            query = query.where(alerts.c.model == model)
        query = query.order_by(alerts.c.last_evaluated_at.desc(), alerts.c.id.desc())
        with translated_errors(self._engine, "list alerts"), self._reader.connect() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def all(self, model: str | None = None) -> list[AlertRecord]:
        """Every alert that ever fired, firing or resolved."""
        query = sa.select(alerts).order_by(alerts.c.id)
        if model is not None:
            query = query.where(alerts.c.model == model)
        with translated_errors(self._engine, "list alerts"), self._reader.connect() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def record_delivery(
        self,
        alert_id: int,
        channel: str,
        *,
        attempts: int,
        delivered: bool,
        error: str | None,
        at: datetime,
    ) -> None:
        """Record one channel's delivery outcome (after its retries)."""
        with (
            translated_errors(self._engine, "record an alert delivery"),
            self._engine.begin() as connection,
        ):
            connection.execute(
                sa.insert(alert_deliveries).values(
                    alert_id=alert_id,
                    channel=channel,
                    attempts=attempts,
                    delivered=delivered,
                    error=error,
                    at=at,
                )
            )

    def deliveries(self, alert_id: int | None = None) -> list[DeliveryRecord]:
        """Deliveries of one alert (or of all), oldest first."""
        query = sa.select(alert_deliveries).order_by(alert_deliveries.c.id)
        if alert_id is not None:
            query = query.where(alert_deliveries.c.alert_id == alert_id)
        with (
            translated_errors(self._engine, "list alert deliveries"),
            self._reader.connect() as connection,
        ):
            return [
                DeliveryRecord(
                    alert_id=row["alert_id"],
                    channel=row["channel"],
                    attempts=row["attempts"],
                    delivered=bool(row["delivered"]),
                    error=row["error"],
                    at=row["at"],
                )
                for row in connection.execute(query).mappings()
            ]


__all__ = ["FIRING", "RESOLVED", "AlertRecord", "AlertStore", "DeliveryRecord"]
