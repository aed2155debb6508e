"""Rollouts in the metadata database, changed atomically together with the registry.

A rollout row and the registry's statuses and aliases change in one transaction under the
model's registry lock (:func:`watchkeeper.storage.metadata.version_status.apply_transition`): starting
a canary makes the version ``challenger``; promoting or rolling back ends the rollout and
moves the aliases. Two processes ending the same rollout at once are serialised: the second
sees it ended and gets :class:`~watchkeeper.errors.RolloutError`. At every instant exactly one
version holds the ``champion`` alias.

>>> from datetime import UTC, datetime
>>> from watchkeeper.clock import EventTimeClock
>>> from watchkeeper.storage.metadata.store import open_metadata_store
>>> from watchkeeper.storage.metadata.version_status import Transition
>>> metadata = open_metadata_store("sqlite://", EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC)))
>>> store = metadata.rollouts
>>> started = store.start(
...     "fraud", challenger_version=2, champion_version=1, canary_share=0.1, shadow=False,
...     plan=lambda state: Transition(), actor="dana", reason="validated challenger")
>>> store.active("fraud").state
'canary'
>>> ended = store.finish("fraud", started.id, "rolled_back", plan=lambda state: Transition(),
...                      actor="watchkeeper", reason="flag rate 3x the champion's")
>>> store.active("fraud") is None, store.latest("fraud").state
(True, 'rolled_back')
>>> metadata.close()
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from watchkeeper.clock import Clock
from watchkeeper.errors import RolloutError
from watchkeeper.storage.metadata import registry_statements
from watchkeeper.storage.metadata.database import reader, translated_errors
from watchkeeper.storage.metadata.tables import rollouts
from watchkeeper.storage.metadata.version_status import Plan, apply_transition

CANARY = "canary"
AWAITING_APPROVAL = "awaiting_approval"
PROMOTED = "promoted"
ROLLED_BACK = "rolled_back"
RUNNING_STATES = (CANARY, AWAITING_APPROVAL)
ENDED_STATES = (PROMOTED, ROLLED_BACK)


@dataclass(frozen=True)
class RolloutRecord:
    """One canary: versions, split, state, times, who and why (``evidence`` of the ending)."""

    id: int
    model: str
    challenger_version: int
    champion_version: int
    canary_share: float
    shadow: bool
    state: str
    started_at: datetime
    ended_at: datetime | None
    actor: str
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        """Whether the canary still splits traffic (``canary`` or ``awaiting_approval``)."""
        return self.state in RUNNING_STATES


class RolloutStore:
    """The ``rollouts`` table; reach it as :attr:`MetadataStore.rollouts`."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._clock = clock

    def active(self, model: str) -> RolloutRecord | None:
        """The running rollout of ``model``, if any."""
        query = sa.select(rollouts).where(rollouts.c.model == model, rollouts.c.active == 1)
        with translated_errors(self._engine, "read the rollout"), self._reader.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _record(row) if row is not None else None

    def latest(self, model: str) -> RolloutRecord | None:
        """The most recent rollout of ``model`` (running or ended), if any."""
        query = (
            sa.select(rollouts)
            .where(rollouts.c.model == model)
            .order_by(rollouts.c.id.desc())
            .limit(1)
        )
        with translated_errors(self._engine, "read the rollout"), self._reader.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _record(row) if row is not None else None

    def start(
        self,
        model: str,
        *,
        challenger_version: int,
        champion_version: int,
        canary_share: float,
        shadow: bool,
        plan: Plan,
        actor: str,
        reason: str,
    ) -> RolloutRecord:
        """Insert a running rollout and apply the registry ``plan``, atomically.

        Raises :class:`RolloutError` when a rollout of ``model`` is already running.
        """
        now = self._clock.now()
        values: dict[str, Any] = {
            "model": model,
            "challenger_version": challenger_version,
            "champion_version": champion_version,
            "canary_share": canary_share,
            "shadow": shadow,
            "state": CANARY,
            "active": 1,
            "started_at": now,
            "ended_at": None,
            "actor": actor,
            "reason": reason,
            "evidence": {},
        }
        with translated_errors(self._engine, "start a rollout"), self._engine.begin() as conn:
            registry_statements.lock_model(conn, model)
            running = _active(conn, model)
            if running is not None:
                raise RolloutError(
                    f"a rollout of {model!r} is already running: version "
                    f"{running.challenger_version} in state {running.state}"
                )
            apply_transition(conn, model, plan, actor, now)
            identifier = conn.execute(
                rollouts.insert().returning(rollouts.c.id), values
            ).scalar_one()
        return RolloutRecord(
            id=int(identifier), **{k: v for k, v in values.items() if k != "active"}
        )

    def mark(self, model: str, rollout_id: int, state: str, *, reason: str) -> RolloutRecord:
        """Move a running rollout to another running state (``awaiting_approval``)."""
        if state not in RUNNING_STATES:
            raise RolloutError(f"{state!r} is not a running rollout state")
        with translated_errors(self._engine, "update a rollout"), self._engine.begin() as conn:
            registry_statements.lock_model(conn, model)
            _running(conn, model, rollout_id)
            conn.execute(
                rollouts.update()
                .where(rollouts.c.id == rollout_id)
                .values(state=state, reason=reason)
            )
            return _by_id(conn, rollout_id)

    def finish(
        self,
        model: str,
        rollout_id: int,
        state: str,
        *,
        plan: Plan,
        actor: str,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> RolloutRecord:
        """End a running rollout as ``promoted`` or ``rolled_back`` and apply ``plan``, atomically.

        Raises :class:`RolloutError` when the rollout has already ended (another process
        promoted or rolled it back first); nothing is changed then.
        """
        if state not in ENDED_STATES:
            raise RolloutError(f"a rollout ends as promoted or rolled_back, not {state!r}")
        now = self._clock.now()
        with translated_errors(self._engine, "end a rollout"), self._engine.begin() as conn:
            registry_statements.lock_model(conn, model)
            _running(conn, model, rollout_id)
            apply_transition(conn, model, plan, actor, now)
            conn.execute(
                rollouts.update()
                .where(rollouts.c.id == rollout_id)
                .values(
                    state=state,
                    active=None,
                    ended_at=now,
                    actor=actor,
                    reason=reason,
                    evidence=dict(evidence or {}),
                )
            )
            return _by_id(conn, rollout_id)


def _active(connection: Connection, model: str) -> RolloutRecord | None:
    query = sa.select(rollouts).where(rollouts.c.model == model, rollouts.c.active == 1)
    row = connection.execute(query).mappings().first()
    return _record(row) if row is not None else None


def _running(connection: Connection, model: str, rollout_id: int) -> RolloutRecord:
    record = _by_id(connection, rollout_id)
    if record.model != model or not record.running:
        raise RolloutError(
            f"rollout {rollout_id} of {model!r} is not running (it is {record.state})"
        )
    return record


def _by_id(connection: Connection, rollout_id: int) -> RolloutRecord:
    row = connection.execute(sa.select(rollouts).where(rollouts.c.id == rollout_id)).mappings()
    found = row.first()
    if found is None:
        raise RolloutError(f"no rollout {rollout_id}")
    return _record(found)


def _record(row: sa.RowMapping) -> RolloutRecord:
    values = {key: value for key, value in row.items() if key != "active"}
    values["shadow"] = bool(values["shadow"])
    values["evidence"] = dict(values["evidence"] or {})
    return RolloutRecord(**values)


__all__ = [
    "AWAITING_APPROVAL",
    "CANARY",
    "ENDED_STATES",
    "PROMOTED",
    "ROLLED_BACK",
    "RUNNING_STATES",
    "RolloutRecord",
    "RolloutStore",
]
