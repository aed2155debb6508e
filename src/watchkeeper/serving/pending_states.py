"""Online states of events whose log append is still in flight, visible to the events after them.

The scorer computes an event's features and folds it into copies of its keys' states under
its lock, then appends the prediction log *outside* the lock (so concurrent requests share a
spool commit), and stores the folded states only once the log is durable. Meanwhile the
folded copies wait here: a later event of the same key is computed from them, so it sees the
earlier one exactly as if the first had been stored.

:meth:`PendingStates.hold` registers an event's folded states under a new ticket;
:meth:`PendingStates.settle` drops them and, when the log was durable, writes each one to the
store unless a later ticket of the same key was written already (a later state includes the
earlier events). A failed append is dropped unwritten; an event staged after it meanwhile
saw it, which the service accepts for a storage failure (the client retries the failed one,
and retries are folded once).

Not thread-safe by itself: callers hold :attr:`PendingStates.lock` (the scorer's lock; the
scorers a service builds over time share it, and the held states).

>>> from watchkeeper.features.entity_state import EntityState
>>> from watchkeeper.features.state.memory import MemoryStateStore
>>> store = MemoryStateStore()
>>> pending = PendingStates(store)
>>> first = pending.hold({"card": EntityState(last_timestamp=1)})
>>> second = pending.hold({"card": EntityState(last_timestamp=2)})
>>> pending.get_many(["card"])[0].last_timestamp, store.get_many(["card"])
(2, [None])
>>> pending.settle(second, durable=True)
>>> pending.get_many(["card"])[0].last_timestamp  # the written one is newer than the held
2
>>> pending.settle(first, durable=True)  # older than what was written: not written
>>> store.get_many(["card"])[0].last_timestamp
2
>>> third = pending.hold({"card": EntityState(last_timestamp=3)})
>>> fourth = pending.hold({"card": EntityState(last_timestamp=4)})
>>> pending.settle_many([(fourth, False), (third, True)])  # one write: the newest durable
>>> store.get_many(["card"])[0].last_timestamp, pending.held
(3, 0)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.store import EntityStateStore


class PendingStates:
    """An :class:`EntityStateStore` over another, with states held until their log is durable."""

    def __init__(self, store: EntityStateStore) -> None:
        self.store = store
        self.lock = threading.Lock()
        self._tickets: dict[int, dict[str, EntityState]] = {}
        self._latest: dict[str, list[int]] = {}
        """Per key, the tickets holding a state of it, oldest first."""
        self._written: dict[str, int] = {}
        """Per key with held states, the newest ticket already written to the store."""
        self._next = 0

    def hold(self, states: Mapping[str, EntityState]) -> int:
        """Hold ``states`` (an event's folded copies) until :meth:`settle`; return the ticket."""
        self._next += 1
        ticket = self._next
        self._tickets[ticket] = dict(states)
        for key in states:
            self._latest.setdefault(key, []).append(ticket)
        return ticket

    def settle(self, ticket: int, *, durable: bool) -> None:
        """Release a ticket; write its states to the store when its log is ``durable``."""
        self.settle_many([(ticket, durable)])

    def settle_many(self, settled: Sequence[tuple[int, bool]]) -> None:
        """Release tickets (ticket, durable) in one store write: per key, the newest
        durable ticket's state, unless a newer one was written already."""
        newer: dict[str, tuple[int, EntityState]] = {}
        released: list[tuple[int, dict[str, EntityState]]] = []
        for ticket, durable in settled:
            states = self._tickets.pop(ticket, {})
            released.append((ticket, states))
            if not durable:
                continue
            for key, state in states.items():
                if self._written.get(key, 0) < ticket and newer.get(key, (0, state))[0] <= ticket:
                    newer[key] = (ticket, state)
        if newer:
            self.store.put_many({key: state for key, (_, state) in newer.items()})
            for key, (ticket, _) in newer.items():
                self._written[key] = ticket
        for ticket, states in released:
            for key in states:
                tickets = self._latest[key]
                tickets.remove(ticket)
                if not tickets:
                    del self._latest[key]
                    self._written.pop(key, None)

    @property
    def held(self) -> int:
        """Tickets not settled yet."""
        return len(self._tickets)

    def get_many(self, keys: Sequence[str]) -> list[EntityState | None]:
        """The newest state of each key: held, or the store's when a newer one was written."""
        held = {
            key: self._latest[key][-1]
            for key in keys
            if key in self._latest and self._latest[key][-1] > self._written.get(key, 0)
        }
        stored_keys = [key for key in keys if key not in held]
        stored = dict(zip(stored_keys, self.store.get_many(stored_keys), strict=True))
        return [self._tickets[held[key]][key] if key in held else stored[key] for key in keys]

    def put_many(self, states: Mapping[str, EntityState]) -> None:
        """Store ``states`` directly."""
        self.store.put_many(states)

    def delete_many(self, keys: Sequence[str]) -> None:
        """Forget the stored states of ``keys``."""
        self.store.delete_many(keys)

    def delete_range(self, low: str, high: str) -> None:
        """Forget the stored states of the keys in ``[low, high)``."""
        self.store.delete_range(low, high)

    def size_of(self, key: str) -> int:
        """Bytes the stored state of ``key`` takes."""
        return self.store.size_of(key)

    def close(self) -> None:
        """Close the store underneath."""
        self.store.close()


__all__ = ["PendingStates"]
