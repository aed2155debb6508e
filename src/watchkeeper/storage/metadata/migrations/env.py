"""Alembic's environment script for the metadata store, run by :mod:`watchkeeper.storage.metadata.migrate`.

watchkeeper never runs Alembic from the command line: :func:`watchkeeper.storage.metadata.migrate.upgrade`
opens a connection, takes the migration lock, and hands the connection to this script through
``config.attributes["connection"]``. Migrations run inside that connection's transaction, so a
failed migration leaves the database as it was (both SQLite and PostgreSQL have transactional
DDL). Imported outside Alembic (for example by ``pytest --doctest-modules``) it does nothing.
"""

from __future__ import annotations

from alembic import context
from alembic.config import Config
from sqlalchemy.engine import Connection

from watchkeeper.storage.metadata.tables import metadata


def run_migrations(config: Config) -> None:
    """Run the pending migrations on the connection the caller put in ``config.attributes``."""
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "watchkeeper migrations run through watchkeeper.storage.metadata.migrate.upgrade(), "
            "which passes an open connection; the alembic command line is not supported"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


_alembic_config = getattr(context, "config", None)
if isinstance(_alembic_config, Config):
    run_migrations(_alembic_config)
