"""Status history and aliases of model versions, changed together in one transaction.

A model version moves through statuses (registered, candidate, challenger, champion, retired,
rejected, rolled back...), and the aliases ``champion`` and ``challenger`` name one version
each. Promoting a version touches several rows at once — its status, the previous champion's
status, the alias — so :meth:`VersionStatusStore.transition` takes a *plan*: a function that
receives the current state, read inside the transaction after the model's registry lock
(see :mod:`watchkeeper.storage.metadata.registry_statements`), and returns the changes to apply. Two
promotions at once are therefore serialised, and each sees what the other did.

This module knows no rule about which transitions are allowed; the registry
(:mod:`watchkeeper.registry.registry`) decides that in its plans.

>>> from datetime import UTC, datetime
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> metadata = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC)))
>>> _ = metadata.register_version("fraud", artifact_sha256="ab" * 32, artifact_uri="file:///m")
>>> plan = lambda state: Transition((StatusChange(1, "champion", "first version"),),
...                                 {"champion": 1})
>>> _ = metadata.version_status.transition("fraud", plan)
>>> metadata.version_status.aliases("fraud")
{'champion': 1}
>>> [(entry.status, entry.reason) for entry in metadata.version_status.history("fraud")]
[('registered', 'registered'), ('champion', 'first version')]
>>> metadata.close()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from watchkeeper.clock import Clock
from watchkeeper.errors import StorageError
from watchkeeper.storage.metadata import registry_statements
from watchkeeper.storage.metadata.database import reader, translated_errors
from watchkeeper.storage.metadata.tables import model_aliases, model_version_status, model_versions


@dataclass(frozen=True)
class StatusEntry:
    """One row of a version's status history: what it became, when, by whom and why."""

    model: str
    version: int
    status: str
    at: datetime
    actor: str
    reason: str


@dataclass(frozen=True)
class RegistryState:
    """What a plan sees: every alias of the model and every version's current status."""

    aliases: Mapping[str, int]
    statuses: Mapping[int, str]


@dataclass(frozen=True)
class StatusChange:
    """Set ``version``'s status to ``status``, recording ``reason`` in its history."""

    version: int
    status: str
    reason: str


@dataclass(frozen=True)
class Transition:
    """Status changes and alias moves applied together; an alias mapped to None is removed."""

    changes: tuple[StatusChange, ...] = ()
    aliases: Mapping[str, int | None] = field(default_factory=dict)


Plan = Callable[[RegistryState], Transition]
"""Decides the changes from the state read inside the transaction (may raise to refuse)."""


class VersionStatusStore:
    """Status history and aliases of model versions in the metadata database.

    Reach it as :attr:`watchkeeper.storage.metadata.store.MetadataStore.version_status`.
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._clock = clock

    def transition(self, model: str, plan: Plan, *, actor: str = "watchkeeper") -> Transition:
        """Read the state of ``model`` under its registry lock, apply ``plan``'s changes atomically.

        Returns the transition that was applied. An exception raised by ``plan`` (a refused
        transition) rolls everything back and propagates unchanged.
        """
        now = self._clock.now()
        with (
            translated_errors(self._engine, f"change version status of {model!r}"),
            self._engine.begin() as connection,
        ):
            return apply_transition(connection, model, plan, actor, now)

    def history(self, model: str, version: int | None = None) -> list[StatusEntry]:
        """The status history of one version (or every version) of ``model``, oldest first."""
        table = model_version_status
        query = (
            sa.select(
                table.c.model,
                table.c.version,
                table.c.status,
                table.c.at,
                table.c.actor,
                table.c.reason,
            )
            .where(table.c.model == model)
            .order_by(table.c.id)
        )
        if version is not None:
            query = query.where(table.c.version == version)
        with (
            translated_errors(self._engine, f"read the status history of {model!r}"),
            self._reader.connect() as connection,
        ):
            return [StatusEntry(**row) for row in connection.execute(query).mappings()]

    def aliases(self, model: str) -> dict[str, int]:
        """Every alias of ``model`` and the version it names."""
        with (
            translated_errors(self._engine, f"read the aliases of {model!r}"),
            self._reader.connect() as connection,
        ):
            return dict(_aliases(connection, model))


def apply_transition(
    connection: Connection, model: str, plan: Plan, actor: str, at: datetime
) -> Transition:
    """Lock ``model``, read its state, apply ``plan``'s changes on ``connection``.

    Call inside a transaction; :meth:`VersionStatusStore.transition` does, and so do callers
    that change other tables atomically with the registry (the rollout store).
    """
    registry_statements.lock_model(connection, model)
    transition = plan(_state(connection, model))
    for change in transition.changes:
        _change_status(connection, model, change, actor, at)
    for alias, version in transition.aliases.items():
        if version is None:
            connection.execute(
                model_aliases.delete().where(
                    model_aliases.c.model == model, model_aliases.c.alias == alias
                )
            )
        else:
            registry_statements.point_alias(connection, model, alias, version, at)
    return transition


def _aliases(connection: Connection, model: str) -> dict[str, int]:
    query = (
        sa.select(model_aliases.c.alias, model_aliases.c.version)
        .where(model_aliases.c.model == model)
        .order_by(model_aliases.c.alias)
    )
    return {alias: int(version) for alias, version in connection.execute(query)}


def _state(connection: Connection, model: str) -> RegistryState:
    query = sa.select(model_versions.c.version, model_versions.c.status).where(
        model_versions.c.model == model
    )
    statuses = {int(version): str(status) for version, status in connection.execute(query)}
    return RegistryState(aliases=_aliases(connection, model), statuses=statuses)


def _change_status(
    connection: Connection, model: str, change: StatusChange, actor: str, at: datetime
) -> None:
    updated = connection.execute(
        model_versions.update()
        .where(model_versions.c.model == model, model_versions.c.version == change.version)
        .values(status=change.status)
        .returning(model_versions.c.version)
    ).first()
    if updated is None:
        raise StorageError(
            f"cannot set the status of version {change.version} of model {model!r}: "
            "no such version is registered"
        )
    values: dict[str, Any] = {
        "model": model,
        "version": change.version,
        "status": change.status,
        "at": at,
        "actor": actor,
        "reason": change.reason,
    }
    connection.execute(model_version_status.insert(), values)


__all__ = [
    "Plan",
    "RegistryState",
    "StatusChange",
    "StatusEntry",
    "Transition",
    "VersionStatusStore",
    "apply_transition",
]
