"""The registry's SQL: numbering model versions and pointing aliases, atomically.

Both operations run inside the caller's write transaction after :func:`lock_model`, which makes
registry writes for one model wait for each other until the transaction ends:

* on PostgreSQL, a transaction-scoped advisory lock keyed by schema and model name
  (``pg_advisory_xact_lock``), so readers and other models are not held up;
* on SQLite, nothing more is needed: the transaction began with ``BEGIN IMMEDIATE`` and holds
  the database's single write lock.

Under that lock "read the highest number, insert the next" cannot interleave, and the unique
constraint on ``(model, version)`` stays as a backstop for writers that skip the lock (the
store retries on a conflict). An alias is one row keyed by ``(model, alias)`` and changed by an
upsert, so it always names exactly one version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watchkeeper.errors import StorageError
from watchkeeper.storage.metadata.database import conflict_aware_insert
from watchkeeper.storage.metadata.records import ModelVersionRecord
from watchkeeper.storage.metadata.tables import model_aliases, model_version_status, model_versions

VERSION_COLUMNS = (
    "model",
    "version",
    "artifact_sha256",
    "artifact_uri",
    "created_at",
    "created_by",
    "status",
    "metrics",
    "lineage",
)
"""The ``model_versions`` columns that make up a :class:`ModelVersionRecord`."""


def lock_model(connection: Connection, model: str) -> None:
    """Serialise registry writes for ``model`` until the current transaction ends."""
    if connection.dialect.name == "postgresql":
        name = sa.func.current_schema() + ":watchkeeper.model:" + model
        connection.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(name, 0)))
        )
    # SQLite: the transaction began with BEGIN IMMEDIATE and holds the database's write lock.


def insert_next_version(connection: Connection, record: ModelVersionRecord) -> ModelVersionRecord:
    """Insert ``record`` under the next free number of its model; return it with that number.

    ``record.version`` is ignored. Call inside a transaction, after :func:`lock_model`.
    """
    latest = connection.execute(
        sa.select(sa.func.max(model_versions.c.version)).where(
            model_versions.c.model == record.model
        )
    ).scalar_one()
    values: dict[str, Any] = {**vars(record), "version": (latest or 0) + 1}
    connection.execute(model_versions.insert(), values)
    connection.execute(
        model_version_status.insert(),
        {
            "model": record.model,
            "version": values["version"],
            "status": record.status,
            "at": record.created_at,
            "actor": record.created_by,
            "reason": "registered",
        },
    )
    return ModelVersionRecord(**values)


def select_versions(model: str) -> sa.Select[Any]:
    """Every version of ``model``, oldest first."""
    columns = [model_versions.c[name] for name in VERSION_COLUMNS]
    return (
        sa.select(*columns)
        .where(model_versions.c.model == model)
        .order_by(model_versions.c.version)
    )


def point_alias(
    connection: Connection, model: str, alias: str, version: int, updated_at: datetime
) -> int | None:
    """Make ``alias`` name ``version``; return the version it named before (None if unset).

    Call inside a transaction, after :func:`lock_model`. Refuses an unregistered version.
    """
    registered = connection.execute(
        sa.select(model_versions.c.version).where(
            model_versions.c.model == model, model_versions.c.version == version
        )
    ).first()
    if registered is None:
        raise StorageError(
            f"cannot point alias {alias!r} at version {version} of model {model!r}: "
            "no such version is registered"
        )
    previous: int | None = connection.execute(select_alias(model, alias)).scalar_one_or_none()
    statement = conflict_aware_insert(connection, model_aliases)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["model", "alias"],
            set_={
                "version": statement.excluded.version,
                "updated_at": statement.excluded.updated_at,
            },
        ),
        {"model": model, "alias": alias, "version": version, "updated_at": updated_at},
    )
    return previous


def select_alias(model: str, alias: str) -> sa.Select[Any]:
    """The version an alias names (no row when it is not set)."""
    return sa.select(model_aliases.c.version).where(
        model_aliases.c.model == model, model_aliases.c.alias == alias
    )


__all__ = [
    "VERSION_COLUMNS",
    "insert_next_version",
    "lock_model",
    "point_alias",
    "select_alias",
    "select_versions",
]
