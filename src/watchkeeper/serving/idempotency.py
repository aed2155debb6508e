"""Scoring is idempotent by event id: the rule, and the record of the ids already scored.

The rule, for ``POST /v1/score``, ``/v1/score/batch`` (and within one batch) and any caller of
:class:`~watchkeeper.serving.scorer.Scorer`:

* an event id scored before, with the same content, gets the first answer again (the same
  score, decision, model version, route and shadow score; only ``latency_ms`` is this
  request's), and nothing is logged or folded into the online state again;
* an event id scored before with different content is refused with
  :class:`~watchkeeper.errors.ConflictingEventError` (409, naming the id), and nothing is
  logged or folded; in a batch, the whole batch is refused;
* an id whose first request is still between its features and its model on another thread
  is refused the same way (409, retry): it is never scored twice.

The content is a digest of the event as received, every field with its keys sorted
(:func:`content_digest`), so a retry that reorders the fields is the same event and one that
changes any value is not. A ``model_version`` pin is not content: a retry gets the first
answer whichever version it pins.

The record of an id lives in the online state store (``storage.online_state``), so every
worker of a service sees it and it survives a restart exactly when the states do. It is read
in the same call as the event's states (one ``get_many``: no extra round trip), held with the
event's folded states until the prediction log is durable and written with them
(:class:`~watchkeeper.serving.pending_states.PendingStates`): a prediction whose log failed
leaves no record, and the client's retry is scored afresh. Within one worker, requests are
ordered by the scorer's lock, so two concurrent identical requests never both fold; workers
share the store without a lock between them, so two workers receiving the same id in the same
millisecond may both score it (as for any two events of one card at once).

Bounded: a record is kept under a time bucket of ``serving.idempotency_window`` (3 days by
default) of the service clock; a lookup reads the current and the previous bucket, so an id
is remembered at least one window and at most two, and a whole bucket is forgotten at once
(:meth:`~watchkeeper.features.state.store.EntityStateStore.delete_range`, by the first request
of a new bucket, and the first after a start) when it leaves them. An id is stored as a 128-bit digest, so a record takes about 150 bytes whatever the
id's length.

>>> from datetime import UTC, datetime, timedelta
>>> ledger = EventIdLedger(timedelta(days=3))
>>> keys = ledger.keys("e-1", datetime(2026, 6, 1, tzinfo=UTC))
>>> keys[0].startswith(SEEN_PREFIX), len(keys)
(True, 2)
>>> content_digest({"b": 1, "a": "x"}) == content_digest({"a": "x", "b": 1})
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from watchkeeper.errors import ConflictingEventError
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.store import EntityStateStore

SEEN_PREFIX = "\x1fseen\x1f"
"""Where event id records live among the states (a state key starts with a field name)."""
SEEN_VALUE = "\x1fseen"
"""The entry of a record's ``values``: its content digest, then its answer once known."""
DEFAULT_WINDOW = timedelta(days=3)
_ID_PREVIEW = 80


@dataclass(frozen=True)
class FirstAnswer:
    """What an event id's first request answered (``ScoreResult`` without the latency and
    the task): ``decision`` is a class for a multiclass model (with its ``probabilities``),
    None for a regression one (whose ``score`` is the predicted value)."""

    score: float
    decision: bool | str | None
    model_version: int
    route: str
    shadow_version: int | None = None
    shadow_score: float | None = None
    shadow_decision: bool | str | None = None
    probabilities: dict[str, float] | None = None
    shadow_probabilities: dict[str, float] | None = None


def content_digest(event: Mapping[str, Any]) -> str:
    """A digest of ``event`` as received: every field, keys sorted.

    >>> content_digest({"amount": 1.5}) != content_digest({"amount": 1.50001})
    True
    """
    try:
        data = orjson.dumps(event, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # a value orjson refuses (a lone surrogate, an odd type): any stable form
        data = json.dumps(event, sort_keys=True, default=str).encode("ascii")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def id_digest(event_id: str) -> str:
    """The fixed-length name of an event id in the store.

    >>> len(id_digest("x" * 10_000))
    32
    """
    return hashlib.blake2b(event_id.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class EventIdLedger:
    """The event ids a service scored: one per service, shared by the scorers it builds."""

    def __init__(self, window: timedelta = DEFAULT_WINDOW, id_field: str = "event_id") -> None:
        if window <= timedelta(0):
            raise ValueError(f"an idempotency window must be positive (got {window})")
        self.window = window
        self.id_field = id_field
        self._seconds = window.total_seconds()
        self._pruned: int | None = None

    def bucket(self, now: datetime) -> int:
        """The time bucket of ``now`` (non-negative).

        >>> from datetime import UTC
        >>> EventIdLedger(timedelta(days=1)).bucket(datetime(1970, 1, 3, 5, tzinfo=UTC))
        2
        """
        return max(0, int(now.timestamp() // self._seconds))

    def keys(self, event_id: str, now: datetime) -> tuple[str, str]:
        """Where the record of ``event_id`` is: the current bucket (written), the previous."""
        bucket, digest = self.bucket(now), id_digest(event_id)
        return (_key(bucket, digest), _key(max(0, bucket - 1), digest))

    def forget_expired(self, store: EntityStateStore, now: datetime) -> None:
        """Drop the buckets older than the previous one, once per bucket (and once after a
        start, for what a stopped service left)."""
        bucket = self.bucket(now)
        if self._pruned == bucket:
            return
        if bucket >= 2:
            store.delete_range(SEEN_PREFIX, f"{SEEN_PREFIX}{bucket - 1:012d}")
        self._pruned = bucket

    def check(
        self, events: Sequence[Mapping[str, Any]], event_ids: Sequence[str], now: datetime
    ) -> Check:
        """The lookup of a request's events (:meth:`Check.admit` decides once they are read)."""
        keys = [self.keys(event_id, now) for event_id in event_ids]
        return Check(
            event_ids=list(event_ids),
            contents=[content_digest(event) for event in events],
            keys=keys,
            id_field=self.id_field,
            batch=len(events) > 1,
        )


@dataclass
class Check:
    """One request's events against the ledger: which to score, which were answered."""

    event_ids: list[str]
    contents: list[str]
    keys: list[tuple[str, str]]
    id_field: str
    batch: bool
    answers: list[FirstAnswer | int | None] = field(default_factory=list)
    """Per event: the stored first answer, the position of its first occurrence in this
    request, or None when it is scored now."""
    records: dict[str, EntityState] = field(default_factory=dict)
    """The records of the events scored now, to hold with their states (answers pending)."""

    @property
    def lookups(self) -> list[str]:
        """The store keys to read with the events' states."""
        return [key for pair in self.keys for key in pair]

    def admit(self, found: Mapping[str, EntityState | None]) -> list[bool]:
        """Which events to score now; raise :class:`ConflictingEventError` for a known id
        with different content (nothing is held then)."""
        answers: list[FirstAnswer | int | None] = []
        first_at: dict[str, int] = {}
        for position, (event_id, content, pair) in enumerate(
            zip(self.event_ids, self.contents, self.keys, strict=True)
        ):
            if event_id in first_at:
                earlier = first_at[event_id]
                if self.contents[earlier] != content:
                    raise self._conflict(position, event_id, " earlier in this batch")
                answers.append(earlier)
                continue
            stored = next((record for key in pair if (record := found.get(key)) is not None), None)
            if stored is None:
                first_at[event_id] = position
                answers.append(None)
                continue
            entry = stored.values.get(SEEN_VALUE) or [None]
            if entry[0] != content:
                raise self._conflict(position, event_id, "")
            if len(entry) < 8:
                raise self._conflict(position, event_id, None)
            answers.append(FirstAnswer(*entry[1:]))
        self.answers = answers
        self.records = {
            self.keys[position][0]: EntityState(values={SEEN_VALUE: [self.contents[position]]})
            for position, answer in enumerate(answers)
            if answer is None
        }
        return [answer is None for answer in answers]

    def remember(self, scored: Sequence[FirstAnswer]) -> None:
        """Write the answers of the events scored now into their held records."""
        fresh = [position for position, answer in enumerate(self.answers) if answer is None]
        for position, answer in zip(fresh, scored, strict=True):
            record = self.records[self.keys[position][0]]
            record.values[SEEN_VALUE] = [
                self.contents[position],
                answer.score,
                answer.decision,
                answer.model_version,
                answer.route,
                answer.shadow_version,
                answer.shadow_score,
                answer.shadow_decision,
            ]
            if answer.probabilities is not None:  # a multiclass answer: the record grows
                record.values[SEEN_VALUE] += [answer.probabilities, answer.shadow_probabilities]

    def _conflict(self, position: int, event_id: str, where: str | None) -> ConflictingEventError:
        """``where``: where the first one was (None: still in flight on another thread)."""
        name = f"events[{position}].{self.id_field}" if self.batch else self.id_field
        shown = event_id if len(event_id) <= _ID_PREVIEW else event_id[:_ID_PREVIEW] + "..."
        if where is None:
            return ConflictingEventError(
                name, f"event id {shown!r} is being scored by another request; retry it"
            )
        return ConflictingEventError(
            name, f"event id {shown!r} was already scored with different content{where}"
        )


def _key(bucket: int, digest: str) -> str:
    return f"{SEEN_PREFIX}{bucket:012d}\x1f{digest}"


__all__ = [
    "DEFAULT_WINDOW",
    "SEEN_PREFIX",
    "Check",
    "EventIdLedger",
    "FirstAnswer",
    "content_digest",
    "id_digest",
]
