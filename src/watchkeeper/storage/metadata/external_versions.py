"""The version numbers of a model served outside watchkeeper (table ``external_versions``).

A team's service logs predictions under its own version labels. The first time a label
arrives it becomes the model's next version number (1, 2, ...), recorded with the moment it
was first seen; the same label always maps to the same number, whichever host saw it first
(the table's keys decide a race: the loser reads the winner's number).

>>> from datetime import UTC, datetime
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> metadata = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 9, tzinfo=UTC)))
>>> versions = metadata.external_versions
>>> versions.number("churn", "team-v1"), versions.number("churn", "team-v2"), versions.number("churn", "team-v1")
(1, 2, 1)
>>> [(entry.label, entry.version) for entry in versions.entries("churn")]
[('team-v1', 1), ('team-v2', 2)]
>>> start, end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 29, tzinfo=UTC)
>>> versions.record_reference("churn", 1, start, end, "ab" * 32)
>>> versions.record_estimator("churn", 1, "cd" * 32)
>>> entry = versions.entries("churn")[0]
>>> entry.reference_end.date(), entry.reference_sha256[:4], entry.estimator_sha256[:4]
(datetime.date(2026, 5, 29), 'abab', 'cdcd')
>>> metadata.close()

A version's reference is recorded once (:meth:`ExternalVersions.record_reference`): the
window it was built from and the sha256 of its profile in the artifact store; the estimator
fitted on its matured labels comes later (:meth:`ExternalVersions.record_estimator`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from watchkeeper.clock import Clock
from watchkeeper.errors import SchemaError
from watchkeeper.storage.metadata.database import reader, translated_errors
from watchkeeper.storage.metadata.tables import external_versions

MAX_LABEL_LENGTH = 200
"""The longest version label kept (the column's width)."""

_ATTEMPTS = 5


@dataclass(frozen=True)
class ExternalVersion:
    """One version label of an external model and the number it was given."""

    model: str
    label: str
    version: int
    first_seen_at: datetime
    reference_start: datetime | None = None
    reference_end: datetime | None = None
    reference_sha256: str | None = None
    estimator_sha256: str | None = None


class ExternalVersions:
    """The ``external_versions`` table; reach it as :attr:`MetadataStore.external_versions`."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._clock = clock
        self._known: dict[tuple[str, str], int] = {}

    def number(self, model: str, label: str) -> int:
        """The version number of ``label``, given the next free one on its first arrival."""
        known = self._known.get((model, label))
        if known is not None:
            return known
        if not label or len(label) > MAX_LABEL_LENGTH:
            raise SchemaError(
                f"model version label {label[:40]!r} must hold 1 to {MAX_LABEL_LENGTH} characters"
            )
        table = external_versions
        for _ in range(_ATTEMPTS):
            with translated_errors(self._engine, "number an external model version"):
                try:
                    with self._engine.begin() as connection:
                        found = connection.execute(
                            sa.select(table.c.version).where(
                                table.c.model == model, table.c.label == label
                            )
                        ).scalar_one_or_none()
                        if found is None:
                            highest = connection.execute(
                                sa.select(sa.func.max(table.c.version)).where(
                                    table.c.model == model
                                )
                            ).scalar_one_or_none()
                            found = (highest or 0) + 1
                            connection.execute(
                                table.insert().values(
                                    model=model,
                                    label=label,
                                    version=found,
                                    first_seen_at=self._clock.now(),
                                )
                            )
                except IntegrityError:
                    continue  # another host numbered a label at the same moment: read again
            self._known[(model, label)] = int(found)
            return int(found)
        raise SchemaError(f"could not number the version label {label!r} of {model!r}")

    def entries(self, model: str) -> list[ExternalVersion]:
        """Every label of ``model``, by version number."""
        table = external_versions
        query = sa.select(table).where(table.c.model == model).order_by(table.c.version)
        with (
            translated_errors(self._engine, "read external versions"),
            self._reader.connect() as connection,
        ):
            return [
                ExternalVersion(
                    row.model,
                    row.label,
                    row.version,
                    row.first_seen_at,
                    row.reference_start,
                    row.reference_end,
                    row.reference_sha256,
                    row.estimator_sha256,
                )
                for row in connection.execute(query)
            ]

    def record_reference(
        self, model: str, version: int, start: datetime, end: datetime, sha256: str
    ) -> None:
        """Record the reference of ``version``: its window ``[start, end)`` and the sha256 of
        its profile. A version numbered by :meth:`number` only; an unknown one is refused."""
        self._update(
            model,
            version,
            {"reference_start": start, "reference_end": end, "reference_sha256": sha256},
        )

    def record_estimator(self, model: str, version: int, sha256: str) -> None:
        """Record the sha256 of the performance estimator fitted on the reference's labels."""
        self._update(model, version, {"estimator_sha256": sha256})

    def _update(self, model: str, version: int, values: dict[str, object]) -> None:
        table = external_versions
        statement = (
            table.update()
            .where(table.c.model == model, table.c.version == version)
            .values(**values)
        )
        with (
            translated_errors(self._engine, "record an external version's reference"),
            self._engine.begin() as connection,
        ):
            updated = connection.execute(statement).rowcount
        if not updated:
            raise SchemaError(f"model {model!r} has no external version {version}")


__all__ = ["MAX_LABEL_LENGTH", "ExternalVersion", "ExternalVersions"]
