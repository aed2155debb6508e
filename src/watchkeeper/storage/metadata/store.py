"""The metadata store: transactional state in SQL (SQLite by default, PostgreSQL in production).

It keeps the audit log of decisions, the metric series written by monitors, the watermarks of
incremental jobs, and the registry tables (versions, aliases, status history). Queries use
SQLAlchemy Core against :mod:`watchkeeper.storage.metadata.tables`; the schema is created and evolved by
the packaged Alembic migrations, applied by :func:`open_metadata_store`.

Concurrency guarantees hold on both databases:

* version numbers are allocated 1, 2, 3... per model without gaps or duplicates, and an alias
  always names exactly one version: both run in a transaction serialised per model (a
  transaction-scoped advisory lock on PostgreSQL, the ``BEGIN IMMEDIATE`` write lock on SQLite),
  with the unique constraint as a backstop that triggers a retry;
* metric rows are upserted (``INSERT ... ON CONFLICT DO UPDATE``), so re-running a monitor
  replaces its results instead of duplicating them;
* watermarks move by compare-and-set, so two runs of one job cannot both claim a window.

>>> from datetime import datetime, timezone
>>> from watchkeeper.clock import EventTimeClock
>>> clock = EventTimeClock(datetime(2026, 2, 1, tzinfo=timezone.utc))
>>> store = open_metadata_store("sqlite://", clock)
>>> store.register_version("fraud", artifact_sha256="ab" * 32, artifact_uri="file:///m").version
1
>>> store.set_alias("fraud", "champion", 1) is None
True
>>> store.get_alias("fraud", "champion")
1
>>> store.close()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from watchkeeper.clock import Clock, as_utc
from watchkeeper.errors import StorageError
from watchkeeper.storage.metadata import metric_series, registry_statements, tables
from watchkeeper.storage.metadata.alert_store import AlertStore
from watchkeeper.storage.metadata.database import (
    check_reachable,
    conflict_aware_insert,
    create_metadata_engine,
    first_line,
    masked_url,
    reader,
    translated_errors,
)
from watchkeeper.storage.metadata.external_versions import ExternalVersions
from watchkeeper.storage.metadata.migrate import current_revision, upgrade
from watchkeeper.storage.metadata.records import AuditEntry, MetricRow, ModelVersionRecord
from watchkeeper.storage.metadata.rollout_store import RolloutStore
from watchkeeper.storage.metadata.version_status import VersionStatusStore
from watchkeeper.storage.metadata.window_profile_index import WindowProfileIndex

REGISTRATION_ATTEMPTS = 10
"""How often a version registration is retried when another writer took the same number."""


def open_metadata_store(url: str, clock: Clock) -> MetadataStore:
    """Connect to the metadata database, check it answers, and migrate it to head.

    ``url`` is a SQLAlchemy URL (``sqlite:///path/metadata.db``, ``postgresql://...``) or a
    plain path to a SQLite file. Raises :class:`watchkeeper.errors.StoreUnavailableError`,
    with the URL's password masked, when the database cannot be reached.

    >>> from watchkeeper.clock import WallClock
    >>> open_metadata_store("postgresql://u:secret@127.0.0.1:1/x", WallClock())
    Traceback (most recent call last):
    ...
    watchkeeper.errors.StoreUnavailableError: cannot connect to the metadata store at postgresql+psycopg://u:***@127.0.0.1:1/x: ...
    """
    engine = create_metadata_engine(url)
    try:
        check_reachable(engine)
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return MetadataStore(engine, clock)


class MetadataStore:
    """Audit log, metric series, job watermarks and registry tables behind one small API.

    Create it with :func:`open_metadata_store`. Safe to share between threads; several
    processes may use the same database at once.
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._clock = clock

    @property
    def url(self) -> str:
        """The database URL, with any password masked."""
        return masked_url(self._engine.url)

    @cached_property
    def alerts(self) -> AlertStore:
        """The state of each alert and its deliveries."""
        return AlertStore(self._engine)

    @cached_property
    def version_status(self) -> VersionStatusStore:
        """Status history and aliases of model versions, changed atomically together."""
        return VersionStatusStore(self._engine, self._clock)

    @cached_property
    def rollouts(self) -> RolloutStore:
        """Canary rollouts, changed atomically together with the registry's aliases."""
        return RolloutStore(self._engine, self._clock)

    @cached_property
    def external_versions(self) -> ExternalVersions:
        """The version numbers given to an external model's own version labels."""
        return ExternalVersions(self._engine, self._clock)

    @cached_property
    def window_profiles(self) -> WindowProfileIndex:
        """Which artifact holds the monitor job's profile of each (version, window)."""
        return WindowProfileIndex(self._engine, self._clock)

    def schema_version(self) -> str | None:
        """The Alembic revision the database is at (the head, once opened)."""
        with self._errors("read the schema version"), self._reader.connect() as connection:
            return current_revision(connection)

    def close(self) -> None:
        """Close every pooled connection. The store is not used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> MetadataStore:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    # -- audit log ---------------------------------------------------------------------------

    def record_decision(
        self,
        *,
        model: str | None,
        kind: str,
        summary: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str = "watchkeeper",
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append a decision to the audit log; ``at`` defaults to the clock's now.

        >>> from watchkeeper.clock import WallClock
        >>> store = open_metadata_store("sqlite://", WallClock())
        >>> entry = store.record_decision(
        ...     model="fraud", kind="alert", summary="psi 0.31 > 0.2", evidence={"psi": 0.31}
        ... )
        >>> [(item.kind, item.evidence) for item in store.decisions("fraud")]
        [('alert', {'psi': 0.31})]
        >>> store.close()
        """
        now = self._clock.now()
        values: dict[str, Any] = {
            "model": model,
            "kind": kind,
            "at": as_utc(at) if at is not None else now,
            "actor": actor,
            "summary": summary,
            "evidence": dict(evidence or {}),
            "created_at": now,
        }
        with self._errors(f"record a {kind!r} decision"), self._engine.begin() as connection:
            result = connection.execute(
                tables.audit_log.insert().returning(tables.audit_log.c.id), values
            )
            entry_id = result.scalar_one()
        return AuditEntry(id=entry_id, **values)

    def decisions(
        self, model: str | None = None, *, kind: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The most recent decisions, newest first, for one model (or all) and one kind (or all)."""
        log = tables.audit_log
        query = sa.select(log).order_by(log.c.at.desc(), log.c.id.desc()).limit(limit)
        if model is not None:
            query = query.where(log.c.model == model)
        if kind is not None:
            query = query.where(log.c.kind == kind)
        with self._errors("read the audit log"), self._reader.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [AuditEntry(**row) for row in rows]

    # -- metric series -----------------------------------------------------------------------

    def upsert_metrics(self, rows: Iterable[MetricRow]) -> int:
        """Write monitoring results, replacing earlier results for the same key; return how many.

        Rows repeating a key within one call count once (the last one wins).

        >>> from datetime import datetime, timezone
        >>> from watchkeeper.clock import WallClock
        >>> store = open_metadata_store("sqlite://", WallClock())
        >>> day = datetime(2026, 2, 1, tzinfo=timezone.utc)
        >>> row = MetricRow("fraud", "psi", day, day, value=0.3, status="alert", feature="amount")
        >>> store.upsert_metrics([row]), store.upsert_metrics([row])
        (1, 1)
        >>> [(found.feature, found.value) for found in store.metrics("fraud", metric="psi")]
        [('amount', 0.3)]
        >>> store.close()
        """
        rows = list(rows)
        if not rows:
            return 0
        with self._errors("write metric rows"), self._engine.begin() as connection:
            return metric_series.upsert(connection, rows, self._clock.now())

    def metrics(
        self,
        model: str,
        metric: str | None = None,
        feature: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[MetricRow]:
        """Monitoring results of a model, oldest window first.

        ``feature=None`` returns every feature and the model-level rows; ``feature=""``
        only the model-level rows. ``start``/``end`` keep windows inside that range.
        """
        query = metric_series.select(model, metric, feature, start, end)
        with self._errors("read metric rows"), self._reader.connect() as connection:
            return [metric_series.from_values(row) for row in connection.execute(query).mappings()]

    # -- job watermarks ----------------------------------------------------------------------

    def get_watermark(self, job: str, model: str) -> datetime | None:
        """The last event time ``job`` processed for ``model``, or None if it never ran."""
        marks = tables.job_watermarks
        query = sa.select(marks.c.watermark).where(marks.c.job == job, marks.c.model == model)
        with self._errors("read a job watermark"), self._reader.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def advance_watermark(
        self, job: str, model: str, watermark: datetime, *, expected: datetime | None
    ) -> bool:
        """Move a job's watermark to ``watermark`` if it still is ``expected``; say if it moved.

        ``expected=None`` means the job has no watermark yet. False means another run got there
        first: re-read the watermark and decide again. Watermarks never move backwards.

        >>> from datetime import datetime, timezone
        >>> from watchkeeper.clock import WallClock
        >>> store = open_metadata_store("sqlite://", WallClock())
        >>> day = datetime(2026, 2, 1, tzinfo=timezone.utc)
        >>> store.advance_watermark("monitor", "fraud", day, expected=None)
        True
        >>> store.advance_watermark("monitor", "fraud", day, expected=None)  # someone else won
        False
        >>> store.get_watermark("monitor", "fraud").isoformat()
        '2026-02-01T00:00:00+00:00'
        >>> store.close()
        """
        if expected is not None and as_utc(watermark) < as_utc(expected):
            raise ValueError(
                f"watermark of job {job!r} for model {model!r} cannot move back from "
                f"{as_utc(expected).isoformat()} to {as_utc(watermark).isoformat()}"
            )
        marks = tables.job_watermarks
        values = {"watermark": watermark, "updated_at": self._clock.now()}
        with self._errors("advance a job watermark"), self._engine.begin() as connection:
            statement: sa.Insert | sa.Update
            if expected is None:
                statement = conflict_aware_insert(connection, marks).on_conflict_do_nothing()
                statement = statement.values(job=job, model=model, **values)
            else:
                current = (marks.c.job == job, marks.c.model == model)
                same = marks.c.watermark == as_utc(expected)
                statement = marks.update().where(*current, same).values(values)
            # RETURNING says whether a row changed on every driver (rowcount does not).
            return connection.execute(statement.returning(marks.c.job)).first() is not None

    # -- registry ----------------------------------------------------------------------------

    def register_version(
        self,
        model: str,
        *,
        artifact_sha256: str,
        artifact_uri: str,
        created_by: str = "watchkeeper",
        metrics: Mapping[str, Any] | None = None,
        lineage: Mapping[str, Any] | None = None,
        status: str = "registered",
    ) -> ModelVersionRecord:
        """Register a new version of ``model`` under the next number (1, 2, 3...)."""
        last_conflict: sa.exc.IntegrityError | None = None
        with self._errors(f"register a version of {model!r}"):
            for _attempt in range(REGISTRATION_ATTEMPTS):
                draft = ModelVersionRecord(
                    model=model,
                    version=0,
                    artifact_sha256=artifact_sha256,
                    artifact_uri=artifact_uri,
                    created_at=self._clock.now(),
                    created_by=created_by,
                    status=status,
                    metrics=dict(metrics or {}),
                    lineage=dict(lineage or {}),
                )
                try:
                    with self._engine.begin() as connection:
                        registry_statements.lock_model(connection, model)
                        return registry_statements.insert_next_version(connection, draft)
                except sa.exc.IntegrityError as conflict:
                    last_conflict = conflict  # a writer outside the lock took the number
        raise StorageError(
            f"could not allocate a version number for model {model!r} in "
            f"{REGISTRATION_ATTEMPTS} attempts; last conflict: {first_line(last_conflict)}"
        ) from last_conflict

    def versions(self, model: str) -> list[ModelVersionRecord]:
        """Every registered version of ``model``, oldest first."""
        query = registry_statements.select_versions(model)
        with self._errors("read model versions"), self._reader.connect() as connection:
            return [ModelVersionRecord(**row) for row in connection.execute(query).mappings()]

    def set_alias(self, model: str, alias: str, version: int) -> int | None:
        """Point ``alias`` (say ``champion``) at ``version``; return the version it named before.

        The alias is one row, replaced atomically: readers see the old or the new version.
        Raises :class:`watchkeeper.errors.StorageError` if the version is not registered.
        """
        action = f"set alias {alias!r} of {model!r}"
        with self._errors(action), self._engine.begin() as connection:
            registry_statements.lock_model(connection, model)
            return registry_statements.point_alias(
                connection, model, alias, version, self._clock.now()
            )

    def get_alias(self, model: str, alias: str) -> int | None:
        """The version ``alias`` names, or None if it is not set."""
        query = registry_statements.select_alias(model, alias)
        action = f"read alias {alias!r} of {model!r}"
        with self._errors(action), self._reader.connect() as connection:
            version: int | None = connection.execute(query).scalar_one_or_none()
            return version

    def _errors(self, action: str) -> AbstractContextManager[None]:
        return translated_errors(self._engine, action)


__all__ = ["REGISTRATION_ATTEMPTS", "MetadataStore", "open_metadata_store"]
