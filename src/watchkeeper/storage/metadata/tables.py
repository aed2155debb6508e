"""The metadata schema at the current migration head, as SQLAlchemy Core tables.

The queries of :mod:`watchkeeper.storage.metadata.store` are written against these tables; the
database itself is created and changed only by the Alembic migrations in
``storage/metadata/migrations/versions``. A test compares the two, so a new column needs both a new
migration and an edit here.

Two portability rules shape the schema:

* Timestamps use :class:`UtcDateTime`: aware UTC datetimes in and out on every database
  (SQLite has no time zones, so it stores naive UTC and the zone is put back on reading).
* Columns inside a unique key are never NULL, because both SQLite and PostgreSQL treat NULLs
  as distinct there and ``ON CONFLICT`` would never fire. "No feature" is stored as ``''``
  and "no model version" as ``0`` (real versions start at 1).

>>> sorted(metadata.tables)  # doctest: +NORMALIZE_WHITESPACE
['alert_deliveries', 'alerts', 'audit_log', 'external_versions', 'job_watermarks', 'metric_series',
 'model_aliases', 'model_version_status', 'model_versions', 'rollouts', 'window_profiles']
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from watchkeeper.clock import as_utc

NO_FEATURE = ""
"""Stored in ``metric_series.feature`` for a model-level metric (no feature)."""

NO_MODEL_VERSION = 0
"""Stored in ``metric_series.model_version`` for a metric not tied to one model version."""

PARSED_TIMES_KEPT = 65_536
"""Timestamp texts whose parsed datetime a SQLite reader keeps (see :class:`UtcDateTime`)."""


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is an aware UTC datetime in Python on every database.

    A naive datetime given to it is taken to be UTC already.

    >>> from sqlalchemy.dialects import sqlite
    >>> column_type = UtcDateTime()
    >>> column_type.process_result_value(datetime(2026, 1, 2), sqlite.dialect()).isoformat()
    '2026-01-02T00:00:00+00:00'
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; drop the zone for SQLite, which cannot store one."""
        if value is None:
            return None
        moment = as_utc(value)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the database gave back."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else as_utc(value)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, the stored text is read through :func:`sqlite_utc`, which remembers it.

        SQLAlchemy would parse SQLite's text with a regular expression on every read: most of
        the cost of reading metric rows, whose windows repeat across features and reads.
        """
        process = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite":
            return process

        def read(value: Any) -> datetime | None:
            if isinstance(value, str):
                return sqlite_utc(value)
            return value if process is None else process(value)

        return read


@functools.lru_cache(maxsize=PARSED_TIMES_KEPT)
def sqlite_utc(text: str) -> datetime:
    """The aware UTC datetime of a timestamp as SQLite stores it (naive UTC text); a datetime
    is immutable, so the parsed texts are kept (at most ``PARSED_TIMES_KEPT``).

    >>> sqlite_utc("2026-06-01 13:45:00.250000").isoformat()
    '2026-06-01T13:45:00.250000+00:00'
    >>> sqlite_utc("2026-06-01 13:45:00").isoformat()
    '2026-06-01T13:45:00+00:00'
    """
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _identity() -> sa.types.TypeEngine[int]:
    """A 64-bit key that is still SQLite's auto-incrementing rowid."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine[Any]:
    """JSON on every database, stored as JSONB on PostgreSQL (indexable, compact)."""
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


metadata = sa.MetaData()

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", _identity(), primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("evidence", _json(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_audit_log_model_at", "model", "at"),
    sa.Index("ix_audit_log_at", "at"),
)

metric_series = sa.Table(
    "metric_series",
    metadata,
    sa.Column("id", _identity(), primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("model_version", sa.Integer(), nullable=False),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("window_end", UtcDateTime(), nullable=False),
    sa.Column("feature", sa.String(200), nullable=False),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("value", sa.Float(), nullable=True),
    sa.Column("threshold", sa.Float(), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("computed_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint(
        "model",
        "model_version",
        "window_start",
        "window_end",
        "feature",
        "metric",
        name="uq_metric_series_window",
    ),
    sa.Index("ix_metric_series_model_metric_window", "model", "metric", "window_start"),
)

job_watermarks = sa.Table(
    "job_watermarks",
    metadata,
    sa.Column("job", sa.String(100), primary_key=True),
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("watermark", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", _identity(), primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("artifact_sha256", sa.String(64), nullable=False),
    sa.Column("artifact_uri", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("status", sa.String(50), nullable=False),
    sa.Column("metrics", _json(), nullable=False),
    sa.Column("lineage", _json(), nullable=False),
    sa.UniqueConstraint("model", "version", name="uq_model_versions_model_version"),
)

model_aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("alias", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(
        ["model", "version"],
        ["model_versions.model", "model_versions.version"],
        name="fk_model_aliases_version",
    ),
)

model_version_status = sa.Table(
    "model_version_status",
    metadata,
    sa.Column("id", _identity(), primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(50), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(
        ["model", "version"],
        ["model_versions.model", "model_versions.version"],
        name="fk_model_version_status_version",
    ),
    sa.Index("ix_model_version_status_model_version", "model", "version"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", _identity(), primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("feature", sa.String(200), nullable=False),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("value", sa.Float(), nullable=True),
    sa.Column("threshold", sa.Float(), nullable=False),
    sa.Column("first_fired_at", UtcDateTime(), nullable=False),
    sa.Column("last_evaluated_at", UtcDateTime(), nullable=False),
    sa.Column("last_notified_at", UtcDateTime(), nullable=True),
    sa.Column("resolved_at", UtcDateTime(), nullable=True),
    sa.Column("evidence", _json(), nullable=False),
    sa.UniqueConstraint("model", "rule", "feature", name="uq_alerts_model_rule_feature"),
)

alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("id", _identity(), primary_key=True, autoincrement=True),
    sa.Column("alert_id", _identity(), nullable=False),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("delivered", sa.Boolean(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_alert_deliveries_alert"),
    sa.Index("ix_alert_deliveries_alert", "alert_id"),
)

rollouts = sa.Table(
    "rollouts",
    metadata,
    sa.Column("id", _identity(), primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("challenger_version", sa.Integer(), nullable=False),
    sa.Column("champion_version", sa.Integer(), nullable=False),
    sa.Column("canary_share", sa.Float(), nullable=False),
    sa.Column("shadow", sa.Boolean(), nullable=False),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("active", sa.Integer(), nullable=True),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("ended_at", UtcDateTime(), nullable=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("evidence", _json(), nullable=False),
    sa.UniqueConstraint("model", "active", name="uq_rollouts_model_active"),
)

window_profiles = sa.Table(
    "window_profiles",
    metadata,
    sa.Column("id", _identity(), primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("model_version", sa.Integer(), nullable=False),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("window_end", UtcDateTime(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint(
        "model",
        "model_version",
        "window_start",
        "window_end",
        name="uq_window_profiles_window",
    ),
)

external_versions = sa.Table(
    "external_versions",
    metadata,
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("label", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("first_seen_at", UtcDateTime(), nullable=False),
    sa.Column("reference_start", UtcDateTime(), nullable=True),
    sa.Column("reference_end", UtcDateTime(), nullable=True),
    sa.Column("reference_sha256", sa.String(64), nullable=True),
    sa.Column("estimator_sha256", sa.String(64), nullable=True),
    sa.UniqueConstraint("model", "version", name="uq_external_versions_version"),
)

__all__ = [
    "NO_FEATURE",
    "NO_MODEL_VERSION",
    "UtcDateTime",
    "alert_deliveries",
    "alerts",
    "audit_log",
    "external_versions",
    "job_watermarks",
    "metadata",
    "metric_series",
    "model_aliases",
    "model_version_status",
    "model_versions",
    "rollouts",
    "window_profiles",
]
