"""The online feature engine: one event at a time (or small micro-batches), for serving.

:meth:`OnlineFeatureEngine.score` is the atomic score-then-update step: it validates the
event, computes its features from the state of its keys, and only then folds the event into
that state. :meth:`~OnlineFeatureEngine.compute` (read only) and
:meth:`~OnlineFeatureEngine.update` are the two halves, for callers that score elsewhere.
A schema violation raises :class:`~watchkeeper.errors.InvalidInputError` naming the field and
the reason, and leaves the state untouched.

Late arrivals. An event older than the newest event already folded into its key's state
arrives late. Policy ``score_only`` (the default) computes its features from the kept events
before it (a window reaching further back than the state keeps sees only what is kept) and
does not fold it into that key's state, so the state stays in time order and later events
are not disturbed; policy ``reject`` raises :class:`~watchkeeper.errors.LateEventError` and
changes nothing. Either way the engine counts it in :attr:`OnlineFeatureEngine.late_events`.
Equal timestamps are not late: the later arrival sees the earlier one, as in batch.

Retries. Given the event's id, the engine folds an event into its keys' states at most once:
each state remembers the ids of the events it keeps (its longest window), and an id already
there is scored from the state but not folded again. A retry older than what a state keeps is
late, and late events are never folded either.

Serving logs before it folds: :meth:`~OnlineFeatureEngine.stage` computes a micro-batch's
features in order on copies of the states (each event sees the ones before it) and
:meth:`~OnlineFeatureEngine.commit` stores the folded copies, once the caller made its log
durable.

>>> from datetime import datetime, UTC
>>> from watchkeeper.features.fitted import FittedFeatureSpec
>>> from watchkeeper.features.spec import FeatureSpec
>>> spec = FeatureSpec(
...     inputs={"ts": {"type": "timestamp"}, "card": {"type": "string"},
...             "amount": {"type": "float", "min": 0}},
...     transforms=[{"name": "n_1h", "op": "count", "by": "card", "window": "1h"},
...                 {"name": "mean_1h", "op": "mean", "input": "amount", "by": "card", "window": "1h"}])
>>> engine = OnlineFeatureEngine(FittedFeatureSpec(spec=spec, training_rows=0))
>>> engine.score({"ts": datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "card": "x", "amount": 2.0})
{'n_1h': 0, 'mean_1h': None}
>>> engine.score({"ts": "2026-01-01T12:30:00Z", "card": "x", "amount": 4.0})
{'n_1h': 1, 'mean_1h': 2.0}
>>> engine.score({"ts": "2026-01-01T12:40:00Z", "card": "x", "amount": -1.0})
Traceback (most recent call last):
...
watchkeeper.errors.InvalidInputError: amount: below the minimum 0 (got -1.0)
>>> engine.compute({"ts": "2026-01-01T12:45:00Z", "card": "x", "amount": 1.0})
{'n_1h': 2, 'mean_1h': 3.0}
>>> retry = {"ts": "2026-01-01T12:50:00Z", "card": "x", "amount": 6.0}
>>> staged = engine.stage([retry, retry], event_ids=["e9", "e9"])
>>> staged.features, staged.duplicates
([{'n_1h': 2, 'mean_1h': 3.0}, {'n_1h': 3, 'mean_1h': 4.0}], [False, True])
>>> engine.commit(staged)
>>> engine.compute({"ts": "2026-01-01T12:55:00Z", "card": "x", "amount": 1.0})
{'n_1h': 3, 'mean_1h': 4.0}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from watchkeeper.errors import InvalidInputError, LateEventError
from watchkeeper.features.entity_state import EntityState, compute_group, fold_event
from watchkeeper.features.plan import FeaturePlan
from watchkeeper.features.schema_validation import timestamp_microseconds, validate_event
from watchkeeper.features.state.store import EntityStateStore, state_key

if TYPE_CHECKING:
    from watchkeeper.features.fitted import FittedFeatureSpec

LateArrivalPolicy = Literal["score_only", "reject"]
"""What the online engine does with an event older than its key's newest: see the module."""

RECENT_EVENT_IDS = "\x1fevent_ids"
"""The entry of a state's ``values`` holding the ids of its kept events (for retries)."""


@dataclass(frozen=True)
class StagedUpdate:
    """Features of events computed in order on copies of their keys' states, not yet stored.

    ``duplicates[i]`` is true when event ``i``'s id was already folded (it is not folded
    again); ``states`` are the folded copies that :meth:`OnlineFeatureEngine.commit` stores.
    """

    features: list[dict[str, Any]]
    duplicates: list[bool]
    states: dict[str, EntityState]


@dataclass(frozen=True)
class RejectedEvent:
    """An event of a micro-batch that broke the schema (or arrived late under ``reject``)."""

    position: int
    field: str
    reason: str


@dataclass(frozen=True)
class MicroBatchResult:
    """Features of a micro-batch's events (``None`` where rejected) and the rejections."""

    features: list[dict[str, Any] | None]
    rejected: list[RejectedEvent]


class OnlineFeatureEngine:
    """Computes a fitted spec's features event by event, with per-key state in a store."""

    def __init__(
        self,
        fitted: FittedFeatureSpec,
        store: EntityStateStore | None = None,
        late_arrival: LateArrivalPolicy = "score_only",
    ) -> None:
        from watchkeeper.features.state.memory import MemoryStateStore

        self.plan = FeaturePlan.build(fitted)
        self.store: EntityStateStore = store if store is not None else MemoryStateStore()
        self.late_arrival = late_arrival
        self.late_events = 0
        """Events that arrived late (older than their key's newest), whatever the policy."""
        self.rejected_events = 0
        """Events refused: schema violations, and late events under ``reject``."""
        self._spec = fitted.spec
        self._names = self.plan.column_names

    def score(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Validate, compute the features, then fold the event into the state."""
        row, timestamp, keys = self._prepare(event)
        states = self._states(keys)
        features = self._score_row(row, timestamp, keys, states, fold=True)
        self.store.put_many({key: state for key, state in states.items() if state is not None})
        return features

    def compute(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The event's features from the current state; the state is not changed."""
        row, timestamp, keys = self._prepare(event)
        states = self._states(keys)
        return self._features(row, timestamp, keys, states)

    def update(self, event: Mapping[str, Any], event_id: str | None = None) -> None:
        """Fold an event into the state (after it was scored with :meth:`compute`).

        With ``event_id``, an event already folded is not folded again.
        """
        row, timestamp, keys = self._prepare(event)
        states = self._states(keys)
        self._fold(row, timestamp, keys, states, event_id)
        self.store.put_many({key: state for key, state in states.items() if state is not None})

    def stage(
        self,
        events: Sequence[Mapping[str, Any]],
        event_ids: Sequence[str | None] | None = None,
        *,
        validated: Sequence[dict[str, Any]] | None = None,
        also: Sequence[str] = (),
        admit: Callable[[Mapping[str, EntityState | None]], Sequence[bool]] | None = None,
    ) -> StagedUpdate:
        """Compute ``events`` in order, each seeing the ones before it; store nothing.

        The keys' states are read once and copied; each event is folded into the copies
        (unless late, or its id was already folded). The first invalid event raises
        :class:`InvalidInputError`. :meth:`commit` stores the result. ``validated``: the
        events as :func:`validate_event` already returned them for this engine's spec (they
        are not checked again). ``also``: more keys read in the same store call, handed
        (as stored, not copied) to ``admit``, which says which events to stage: the others
        get no features (``{}``), count as duplicates and are not folded.
        """
        ids: Sequence[str | None] = event_ids if event_ids is not None else [None] * len(events)
        if len(ids) != len(events):
            raise ValueError(f"{len(ids)} event ids for {len(events)} events")
        if validated is not None and len(validated) != len(events):
            raise ValueError(f"{len(validated)} validated rows for {len(events)} events")
        rows = validated if validated is not None else [None] * len(events)
        prepared = [self._prepare(event, row) for event, row in zip(events, rows, strict=True)]
        wanted = list(dict.fromkeys(key for _, _, keys in prepared for key in keys if key))
        found = self.store.get_many([*wanted, *also])
        states: dict[str, EntityState | None] = {
            key: None if state is None else _copy(state)
            for key, state in zip(wanted, found, strict=False)
        }
        admitted = (
            admit(dict(zip(also, found[len(wanted) :], strict=True)))
            if admit is not None
            else [True] * len(events)
        )
        features: list[dict[str, Any]] = []
        duplicates: list[bool] = []
        for (row, timestamp, keys), event_id, scored in zip(prepared, ids, admitted, strict=True):
            if not scored:
                features.append({})
                duplicates.append(True)
                continue
            duplicate = event_id is not None and _already_folded(event_id, keys, states)
            features.append(self._score_row(row, timestamp, keys, states, fold=False))
            if not duplicate:
                self._fold(row, timestamp, keys, states, event_id)
            duplicates.append(duplicate)
        kept = {key: state for key, state in states.items() if state is not None}
        return StagedUpdate(features, duplicates, kept)

    def commit(self, staged: StagedUpdate) -> None:
        """Store the states folded by :meth:`stage` (all or none)."""
        if staged.states:
            self.store.put_many(staged.states)

    def score_batch(self, events: Sequence[Mapping[str, Any]]) -> MicroBatchResult:
        """Score a micro-batch in order (each event sees the ones before it); one state round trip.

        Rejected events are reported, not raised, and change nothing.
        """
        prepared: list[tuple[dict[str, Any], int, list[str | None]] | None] = []
        rejected: list[RejectedEvent] = []
        wanted: dict[str, None] = {}
        for position, event in enumerate(events):
            try:
                ready = self._prepare(event)
            except InvalidInputError as error:
                rejected.append(RejectedEvent(position, error.field, error.reason))
                prepared.append(None)
                continue
            prepared.append(ready)
            wanted.update((key, None) for key in ready[2] if key is not None)
        keys = list(wanted)
        states: dict[str, EntityState | None] = dict(
            zip(keys, self.store.get_many(keys), strict=True)
        )
        results: list[dict[str, Any] | None] = []
        for position, item in enumerate(prepared):
            if item is None:
                results.append(None)
                continue
            row, timestamp, event_keys = item
            try:
                results.append(self._score_row(row, timestamp, event_keys, states, fold=True))
            except LateEventError as error:
                rejected.append(RejectedEvent(position, self._spec.timestamp, str(error)))
                results.append(None)
        self.store.put_many({key: state for key, state in states.items() if state is not None})
        return MicroBatchResult(features=results, rejected=rejected)

    def _prepare(
        self, event: Mapping[str, Any], row: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], int, list[str | None]]:
        if row is None:
            try:
                row = validate_event(self._spec, event)
            except InvalidInputError:
                self.rejected_events += 1
                raise
        timestamp = timestamp_microseconds(row[self._spec.timestamp])
        keys = [
            None if row[group.key] is None else state_key(group.key, row[group.key])
            for group in self.plan.groups
        ]
        return row, timestamp, keys

    def _states(self, keys: list[str | None]) -> dict[str, EntityState | None]:
        present = [key for key in keys if key is not None]
        return dict(zip(present, self.store.get_many(present), strict=True))

    def _score_row(
        self,
        row: dict[str, Any],
        timestamp: int,
        keys: list[str | None],
        states: dict[str, EntityState | None],
        fold: bool,
    ) -> dict[str, Any]:
        late = any(
            key is not None and (state := states.get(key)) is not None and state.is_late(timestamp)
            for key in keys
        )
        if late:
            self.late_events += 1
            if self.late_arrival == "reject":
                self.rejected_events += 1
                raise LateEventError(
                    f"event at {row[self._spec.timestamp].isoformat()} is older than the newest "
                    "event already seen for its key (late-arrival policy: reject)"
                )
        features = self._features(row, timestamp, keys, states)
        if fold:
            self._fold(row, timestamp, keys, states)
        return features

    def _features(
        self,
        row: dict[str, Any],
        timestamp: int,
        keys: list[str | None],
        states: Mapping[str, EntityState | None],
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for feature in self.plan.row_features:
            values.update(zip(feature.columns, feature.values(row), strict=True))
        for group, key in zip(self.plan.groups, keys, strict=True):
            if key is None:
                values.update({feature.name: feature.fill for feature in group.features})
                continue
            state = states.get(key) or EntityState.empty(group)
            values.update(compute_group(group, state, row, timestamp))
        return {name: values[name] for name in self._names}

    def _fold(
        self,
        row: dict[str, Any],
        timestamp: int,
        keys: list[str | None],
        states: dict[str, EntityState | None],
        event_id: str | None = None,
    ) -> None:
        if event_id is not None and _already_folded(event_id, keys, states):
            return
        for group, key in zip(self.plan.groups, keys, strict=True):
            if key is None:
                continue
            state = states.get(key)
            if state is None:
                state = states[key] = EntityState.empty(group)
            if not state.is_late(timestamp):
                if event_id is not None:
                    _remember(state, event_id)
                fold_event(group, state, row, timestamp)


def _already_folded(
    event_id: str, keys: Sequence[str | None], states: Mapping[str, EntityState | None]
) -> bool:
    """Whether a kept event of one of ``keys`` has ``event_id``."""
    for key in keys:
        state = states.get(key) if key is not None else None
        if state is not None and event_id in state.values.get(RECENT_EVENT_IDS, ()):
            return True
    return False


def _remember(state: EntityState, event_id: str) -> None:
    """Add ``event_id`` to the state's ids, aligned with its timestamps before the fold.

    :func:`fold_event` appends the timestamp and trims every ``values`` list alike, so the
    ids stay aligned with the kept events (a state written before ids were kept is padded).
    """
    ids: list[Any] = state.values.setdefault(RECENT_EVENT_IDS, [])
    missing = len(state.timestamps) - len(ids)
    if missing > 0:
        ids[:0] = [None] * missing
    elif missing < 0:
        del ids[:-missing]
    ids.append(event_id)


def _copy(state: EntityState) -> EntityState:
    """A copy that folding does not share with the stored state."""
    return EntityState(
        last_timestamp=state.last_timestamp,
        timestamps=list(state.timestamps),
        values={name: list(items) for name, items in state.values.items()},
        totals=dict(state.totals),
        snapshots={name: list(items) for name, items in state.snapshots.items()},
    )


__all__ = [
    "RECENT_EVENT_IDS",
    "LateArrivalPolicy",
    "MicroBatchResult",
    "OnlineFeatureEngine",
    "RejectedEvent",
    "StagedUpdate",
]
