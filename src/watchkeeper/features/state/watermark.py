"""The watermark of an online state: up to when, and for which fitted spec, it was filled.

A backfill (:mod:`~watchkeeper.features.backfill`) writes it into the store it filled, beside
the states, so the two live and die together: a state file deleted, a Redis database flushed,
and the watermark is gone with them. It says the store holds, for every key, what the online
engine would hold after every event of the event store up to ``until``, computed with the
fitted spec whose content hash is ``spec_hash``; the service reads it to know that it does not
start cold (``/readyz``, ``watchkeeper serve``).

It is kept under :data:`WATERMARK_KEY` (no group's key starts with the unit separator) in the
shape of an entity state, so every store keeps it without knowing of it.

>>> from datetime import datetime, UTC
>>> from watchkeeper.features.state.memory import MemoryStateStore
>>> store = MemoryStateStore()
>>> read_watermark(store) is None
True
>>> mark = StateWatermark(datetime(2026, 3, 1, tzinfo=UTC), "ab" * 32, events=10, keys=4)
>>> write_watermark(store, mark)
>>> read_watermark(store) == mark
True
>>> mark.fits("ab" * 32), mark.fits("cd" * 32)
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watchkeeper.errors import StorageError
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.store import EntityStateStore

WATERMARK_KEY = "\x1fwatermark"
"""Where a store keeps its watermark."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StateWatermark:
    """The store holds every event up to ``until`` (inclusive), folded with ``spec_hash``."""

    until: datetime
    spec_hash: str
    events: int = 0
    keys: int = 0

    def fits(self, spec_hash: str) -> bool:
        """Whether the state was filled with the fitted spec whose hash is ``spec_hash``."""
        return self.spec_hash == spec_hash


def read_watermark(store: EntityStateStore) -> StateWatermark | None:
    """The store's watermark, or None if it was never filled (or was emptied)."""
    found = store.get_many([WATERMARK_KEY])[0]
    if found is None:
        return None
    try:
        assert found.last_timestamp is not None
        (spec_hash,) = found.values["spec_hash"]
        (events,) = found.values["events"]
        (keys,) = found.values["keys"]
        return StateWatermark(
            until=_EPOCH + timedelta(microseconds=found.last_timestamp),
            spec_hash=str(spec_hash),
            events=int(events),
            keys=int(keys),
        )
    except (AssertionError, KeyError, TypeError, ValueError):
        raise StorageError(
            "the online state's watermark is not readable; fill the state again with "
            "'watchkeeper features backfill-state'"
        ) from None


def write_watermark(store: EntityStateStore, mark: StateWatermark) -> None:
    """Record ``mark`` in ``store`` (replacing any earlier one)."""
    state = EntityState(
        last_timestamp=(mark.until - _EPOCH) // timedelta(microseconds=1),
        values={"spec_hash": [mark.spec_hash], "events": [mark.events], "keys": [mark.keys]},
    )
    store.put_many({WATERMARK_KEY: state})


def clear_watermark(store: EntityStateStore) -> None:
    """Forget the watermark (the state is being refilled)."""
    store.delete_many([WATERMARK_KEY])


__all__ = [
    "WATERMARK_KEY",
    "StateWatermark",
    "clear_watermark",
    "read_watermark",
    "write_watermark",
]
