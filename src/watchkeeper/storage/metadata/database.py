"""Connecting to the metadata database: URL rules, engine settings, and connection errors.

Two databases are supported, with the same schema and the same guarantees:

* **SQLite** (the default, a file in the workspace): every connection gets ``busy_timeout``,
  ``foreign_keys=ON`` and ``journal_mode=WAL``. watchkeeper takes over ``BEGIN`` from Python's
  ``sqlite3`` module so that DDL is transactional and every write transaction starts with
  ``BEGIN IMMEDIATE``: writers queue on the busy timeout instead of failing half-way with
  "database is locked". Read-only work goes through :func:`reader` and starts a plain
  (deferred) ``BEGIN``, so readers never wait for writers (WAL).
* **PostgreSQL** (production) through psycopg 3. ``postgresql://`` and ``postgres://`` URLs
  are normalised to ``postgresql+psycopg://``.

>>> normalise_url("postgres://alice:s3cret@db.internal/watchkeeper").drivername
'postgresql+psycopg'
>>> masked_url("postgresql://alice:s3cret@db.internal/watchkeeper")
'postgresql+psycopg://alice:***@db.internal/watchkeeper'
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import StaticPool

from watchkeeper.errors import StorageError, StoreUnavailableError

SQLITE_BUSY_TIMEOUT_MILLISECONDS = 30_000
"""How long a SQLite writer waits for another writer before giving up."""

POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
"""How long to wait for a PostgreSQL server to answer before calling it unreachable."""

_READ_ONLY_OPTION = "watchkeeper_read_only"
_WAL_RETRY_PAUSE_MILLISECONDS = 20
_POSTGRES_ALIASES = {"postgres", "postgresql"}


def normalise_url(url: str) -> URL:
    """Parse a metadata URL; a plain path means a SQLite file, PostgreSQL gets psycopg 3.

    >>> normalise_url("/srv/workspace/metadata.db").render_as_string()
    'sqlite:////srv/workspace/metadata.db'
    >>> normalise_url("postgresql+psycopg://u@localhost/test").drivername
    'postgresql+psycopg'
    """
    if "://" not in url:
        return sa.make_url(f"sqlite:///{Path(url).expanduser()}")
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as error:
        raise StoreUnavailableError(
            f"metadata store URL {_mask_text(url)!r} cannot be parsed: {error}"
        ) from None
    if parsed.drivername in _POSTGRES_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StoreUnavailableError(
            f"metadata store URL {parsed.render_as_string(hide_password=True)!r} uses "
            f"{parsed.get_backend_name()!r}; "
            "the supported databases are sqlite and postgresql"
        )
    return parsed


def masked_url(url: str | URL) -> str:
    """Render a URL with its password replaced by ``***``, safe to print or log.

    >>> masked_url("sqlite:///metadata.db")
    'sqlite:///metadata.db'
    """
    parsed = url if isinstance(url, URL) else normalise_url(url)
    return parsed.render_as_string(hide_password=True)


def _mask_text(text: str) -> str:
    """Hide a ``user:password@`` part in a string that is not a parseable URL."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", text)


def create_metadata_engine(url: str) -> Engine:
    """Create (but do not connect) the engine for a metadata URL, with watchkeeper's settings.

    >>> create_metadata_engine("sqlite://").dialect.name
    'sqlite'
    """
    parsed = normalise_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        return sa.create_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
        )
    except ImportError as error:
        raise StoreUnavailableError(
            f"metadata store {masked_url(parsed)} needs a database driver that is not "
            f"installed ({error}); install watchkeeper[postgres] for PostgreSQL"
        ) from None


def _sqlite_engine(url: URL) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    if in_memory:
        # One shared connection, so every checkout sees the same database: tests and examples.
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = sa.create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MILLISECONDS / 1000}
        )

    @event.listens_for(engine, "connect")
    def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # watchkeeper emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MILLISECONDS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            _use_write_ahead_log(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _use_write_ahead_log(cursor: Any) -> None:
    """Switch the database file to WAL (a persistent setting), waiting out other openers.

    Changing the journal mode needs an exclusive lock and SQLite does not call the busy
    handler for it, so processes opening a fresh file at once retry here instead.
    """
    attempts = SQLITE_BUSY_TIMEOUT_MILLISECONDS // _WAL_RETRY_PAUSE_MILLISECONDS
    for attempt in range(attempts + 1):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts:
                raise
            time.sleep(_WAL_RETRY_PAUSE_MILLISECONDS / 1000)


def reader(engine: Engine) -> Engine:
    """The same engine for read-only work: on SQLite its transactions never take the write lock.

    >>> engine = create_metadata_engine("sqlite://")
    >>> with reader(engine).connect() as connection:
    ...     connection.execute(sa.text("SELECT 1")).scalar()
    1
    >>> engine.dispose()
    """
    return engine.execution_options(**{_READ_ONLY_OPTION: True})


def connection_failure(engine: Engine, error: BaseException, action: str) -> StoreUnavailableError:
    """Turn a driver error into a one-line :class:`StoreUnavailableError` naming the URL.

    The message names the URL with its password masked and the driver's first line of
    explanation; the password is removed from that explanation too, should it appear there.

    >>> engine = create_metadata_engine("postgresql://u:secret@db.invalid/x")
    >>> str(connection_failure(engine, OSError("no route to host"), "connect to"))
    'cannot connect to the metadata store at postgresql+psycopg://u:***@db.invalid/x: no route to host'
    """
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    explanation = lines[0] if lines else type(cause).__name__
    password = engine.url.password
    if password:
        explanation = explanation.replace(str(password), "***")
    return StoreUnavailableError(
        f"cannot {action} the metadata store at {masked_url(engine.url)}: {explanation}"
    )


def first_line(error: BaseException | None) -> str:
    """The driver's own first line of explanation for a database error.

    >>> first_line(ValueError("column 'x' is missing\\nDETAIL: ..."))
    "column 'x' is missing"
    """
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@contextmanager
def translated_errors(engine: Engine, action: str) -> Iterator[None]:
    """Turn driver errors into watchkeeper's storage errors, naming the action and the URL.

    A lost or refused connection becomes :class:`StoreUnavailableError`; any other database
    error :class:`StorageError`. watchkeeper's own errors pass through unchanged.

    >>> engine = create_metadata_engine("sqlite://")
    >>> with translated_errors(engine, "read the audit log"), engine.connect() as connection:
    ...     connection.execute(sa.text("SELECT * FROM nowhere"))
    Traceback (most recent call last):
    ...
    watchkeeper.errors.StorageError: could not read the audit log in the metadata store at sqlite://: no such table: nowhere
    >>> engine.dispose()
    """
    try:
        yield
    except StorageError:
        raise
    except sa.exc.OperationalError as error:
        if isinstance(error.orig, sqlite3.OperationalError) and "no such" in str(error.orig):
            raise StorageError(
                f"could not {action} in the metadata store at {masked_url(engine.url)}: "
                f"{first_line(error)}"
            ) from error
        raise connection_failure(engine, error, action) from error
    except sa.exc.SQLAlchemyError as error:
        raise StorageError(
            f"could not {action} in the metadata store at {masked_url(engine.url)}: "
            f"{first_line(error)}"
        ) from error


def conflict_aware_insert(
    connection: Connection, table: sa.Table
) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which offers ``ON CONFLICT DO UPDATE / DO NOTHING`` on both.

    >>> engine = create_metadata_engine("sqlite://")
    >>> with engine.connect() as connection:
    ...     statement = conflict_aware_insert(connection, sa.table("t", sa.column("k")))
    >>> type(statement).__module__
    'sqlalchemy.dialects.sqlite.dml'
    >>> engine.dispose()
    """
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def check_reachable(engine: Engine) -> None:
    """Connect once and run ``SELECT 1``; raise :class:`StoreUnavailableError` if that fails.

    >>> engine = create_metadata_engine("sqlite://")
    >>> check_reachable(engine)
    >>> engine.dispose()
    """
    try:
        with reader(engine).connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except (sa.exc.DBAPIError, OSError) as error:
        raise connection_failure(engine, error, "connect to") from error


__all__ = [
    "POSTGRES_CONNECT_TIMEOUT_SECONDS",
    "SQLITE_BUSY_TIMEOUT_MILLISECONDS",
    "check_reachable",
    "conflict_aware_insert",
    "connection_failure",
    "create_metadata_engine",
    "first_line",
    "masked_url",
    "normalise_url",
    "reader",
    "translated_errors",
]
