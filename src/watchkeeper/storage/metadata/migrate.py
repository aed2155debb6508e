"""Bringing a metadata database to the current schema with the packaged Alembic migrations.

The migration scripts live in ``storage/metadata/migrations`` inside the package, so an installed
watchkeeper can migrate any database without an ``alembic.ini`` or a checkout. :func:`upgrade`
is idempotent and safe when several processes open the same database at once:

* a database already at head is recognised with one read and left alone;
* otherwise the upgrade runs in one transaction that first takes the database's migration
  lock: a transaction-scoped advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` (the write lock)
  on SQLite. Whoever comes second waits, then finds the schema at head and does nothing.

Alembic keeps its ``context`` and ``op`` proxies in module globals, so within one process
upgrades also take a thread lock.

>>> head_revision().isdigit()  # revisions are numbered 0001, 0002, ...
True
"""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from watchkeeper.errors import StorageError
from watchkeeper.storage.metadata.database import connection_failure, masked_url, reader

MIGRATIONS_FOLDER = Path(__file__).resolve().parent / "migrations"
"""The packaged Alembic script folder (``env.py``, ``versions/``)."""

_MIGRATION_LOCK_NAME = "watchkeeper.metadata.migrations"
_PROCESS_LOCK = threading.Lock()


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations (no ``alembic.ini``).

    >>> alembic_config().get_main_option("script_location") == str(MIGRATIONS_FOLDER)
    True
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The newest revision among the packaged migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StorageError(f"no metadata migrations found in {MIGRATIONS_FOLDER}")
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision a database is at, or None if it was never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Migrate the database behind ``engine`` to head and return the head revision.

    ``engine`` must come from :func:`watchkeeper.storage.metadata.database.create_metadata_engine`
    (on SQLite its write transactions begin with ``BEGIN IMMEDIATE``, which is the lock).

    >>> from watchkeeper.storage.metadata.database import create_metadata_engine
    >>> engine = create_metadata_engine("sqlite://")
    >>> upgrade(engine) == upgrade(engine) == head_revision()
    True
    >>> engine.dispose()
    """
    head = head_revision()
    try:
        with reader(engine).connect() as connection:
            if current_revision(connection) == head:
                return head
        with _PROCESS_LOCK, engine.begin() as connection:
            _take_migration_lock(connection)
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.OperationalError as error:
        raise connection_failure(engine, error, "migrate") from error
    except sa.exc.SQLAlchemyError as error:
        raise StorageError(
            f"migrating the metadata store at {masked_url(engine.url)} to revision {head} "
            f"failed: {error}"
        ) from error
    return head


def _take_migration_lock(connection: Connection) -> None:
    """Hold the database-wide migration lock until ``connection``'s transaction ends."""
    if connection.dialect.name == "postgresql":
        key = sa.func.hashtextextended(_MIGRATION_LOCK_NAME, 0)
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    # SQLite: the transaction began with BEGIN IMMEDIATE and already holds the write lock.


__all__ = ["MIGRATIONS_FOLDER", "alembic_config", "current_revision", "head_revision", "upgrade"]
