"""Column types shared by the migration scripts, spelled out once.

They are kept apart from :mod:`watchkeeper.storage.metadata.tables` on purpose: a migration must keep
creating the same columns when the current schema module moves on, so these never change —
a new type gets a new function.

>>> column = identity()
>>> type(column).__name__
'BigInteger'
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def identity() -> sa.types.TypeEngine[int]:
    """A 64-bit key that is still SQLite's auto-incrementing rowid."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def json_document() -> sa.types.TypeEngine[Any]:
    """JSON on every database, JSONB on PostgreSQL."""
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def timestamp() -> sa.types.TypeEngine[Any]:
    """A timezone-aware timestamp."""
    return sa.DateTime(timezone=True)


__all__ = ["identity", "json_document", "timestamp"]
