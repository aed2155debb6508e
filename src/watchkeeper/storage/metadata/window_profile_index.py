"""The index of stored window profiles in the metadata database (table ``window_profiles``).

The monitor job stores each daily profile in the artifact store (content-addressed) and
records here which artifact holds the profile of (model, version, window). Being in the
metadata database, the index is shared by every host that monitors the model; one entry per
window (the unique key), so two runs writing the same window leave one entry, the later one.

>>> from datetime import UTC, datetime
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> metadata = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 9, tzinfo=UTC)))
>>> index = metadata.window_profiles
>>> day = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC))
>>> index.put("fraud", 1, *day, sha256="ab" * 32)
>>> index.get("fraud", 1, *day).sha256 == "ab" * 32, index.get("fraud", 2, *day)
(True, None)
>>> [entry.model_version for entry in index.entries("fraud")]
[1]
>>> metadata.close()
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from watchkeeper.clock import Clock, as_utc
from watchkeeper.storage.metadata.database import conflict_aware_insert, reader, translated_errors
from watchkeeper.storage.metadata.tables import window_profiles


@dataclass(frozen=True)
class WindowProfileEntry:
    """Where the profile of one model version over one window is stored."""

    model: str
    model_version: int
    window_start: datetime
    window_end: datetime
    sha256: str
    created_at: datetime


class WindowProfileIndex:
    """The ``window_profiles`` table; reach it as :attr:`MetadataStore.window_profiles`."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._clock = clock

    def put(
        self,
        model: str,
        model_version: int,
        window_start: datetime,
        window_end: datetime,
        *,
        sha256: str,
    ) -> None:
        """Record ``sha256`` as the profile of the window, replacing any earlier entry."""
        values = {
            "model": model,
            "model_version": model_version,
            "window_start": as_utc(window_start),
            "window_end": as_utc(window_end),
            "sha256": sha256,
            "created_at": self._clock.now(),
        }
        with (
            translated_errors(self._engine, "record a window profile"),
            self._engine.begin() as connection,
        ):
            statement = conflict_aware_insert(connection, window_profiles)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["model", "model_version", "window_start", "window_end"],
                    set_={
                        "sha256": statement.excluded.sha256,
                        "created_at": statement.excluded.created_at,
                    },
                ),
                values,
            )

    def get(
        self, model: str, model_version: int, window_start: datetime, window_end: datetime
    ) -> WindowProfileEntry | None:
        """The entry of one window, or None when no profile was stored for it."""
        table = window_profiles
        query = sa.select(table).where(
            table.c.model == model,
            table.c.model_version == model_version,
            table.c.window_start == as_utc(window_start),
            table.c.window_end == as_utc(window_end),
        )
        found = self._select(query, "read a window profile entry")
        return found[0] if found else None

    def entries(
        self,
        model: str,
        model_version: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[WindowProfileEntry]:
        """The entries of a model (one version, windows within [start, end) when given),
        by version then window."""
        table = window_profiles
        query = sa.select(table).where(table.c.model == model)
        if model_version is not None:
            query = query.where(table.c.model_version == model_version)
        if start is not None:
            query = query.where(table.c.window_start >= as_utc(start))
        if end is not None:
            query = query.where(table.c.window_end <= as_utc(end))
        query = query.order_by(table.c.model_version, table.c.window_start, table.c.window_end)
        return self._select(query, "read window profile entries")

    def _select(self, query: sa.Select[Any], action: str) -> list[WindowProfileEntry]:
        with translated_errors(self._engine, action), self._reader.connect() as connection:
            return [
                WindowProfileEntry(
                    model=row.model,
                    model_version=row.model_version,
                    window_start=row.window_start,
                    window_end=row.window_end,
                    sha256=row.sha256,
                    created_at=row.created_at,
                )
                for row in connection.execute(query)
            ]


__all__ = ["WindowProfileEntry", "WindowProfileIndex"]
