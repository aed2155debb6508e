"""One contract, every online state store: memory, SQLite, LMDB and Redis (the real server)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchkeeper.errors import ConfigError, StorageError
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state import EntityStateStore, open_state_store, state_key
from watchkeeper.features.state.codec import decode_state, encode_state


@pytest.fixture(params=["memory", "sqlite", "lmdb", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EntityStateStore]:
    kind = request.param
    if kind == "memory":
        opened = open_state_store("memory")
    elif kind in ("sqlite", "lmdb"):
        opened = open_state_store(kind, str(tmp_path / f"state.{kind}"))
    else:
        opened = open_state_store(
            "redis", request.getfixturevalue("redis_url"), namespace="wk-test"
        )
    yield opened
    opened.close()


def sample_state(last: int = 10) -> EntityState:
    return EntityState(
        last_timestamp=last,
        timestamps=[5, last],
        values={"merchant": ["m1", None], "items": [3, 4]},
        totals={"amount": (2, 3.5, 1e-17, 7.25, -2e-33)},
        snapshots={"amount": [(0, 0.0, 0.0, 0.0, 0.0), (1, 1.25, 0.0, 1.5625, 0.0)]},
    )


def test_an_unknown_key_has_no_state(store: EntityStateStore) -> None:
    assert store.get_many([state_key("card", "nobody")]) == [None]
    assert store.get_many([]) == []


def test_states_come_back_exactly_as_put(store: EntityStateStore) -> None:
    keys = [state_key("card", "c1"), state_key("shop", 7)]
    store.put_many({keys[0]: sample_state(10), keys[1]: sample_state(20)})
    first, second = store.get_many(keys)
    assert first == sample_state(10)
    assert second == sample_state(20)
    assert isinstance(first.values["items"][0], int)  # types survive the round trip


def test_overflowed_totals_come_back_as_they_were(store: EntityStateStore) -> None:
    overflowed = EntityState(
        last_timestamp=10,
        timestamps=[5, 10],
        values={},
        totals={"amount": (2, math.inf, 0.0, math.inf, math.nan)},
        snapshots={"amount": [(0, 0.0, 0.0, 0.0, 0.0), (1, 1e308, 0.0, math.inf, 0.0)]},
    )
    store.put_many({"k": overflowed})
    found = store.get_many(["k"])[0]
    assert found is not None
    assert found.totals["amount"][:4] == (2, math.inf, 0.0, math.inf)
    assert math.isnan(found.totals["amount"][4])
    assert found.snapshots == overflowed.snapshots


def test_put_replaces_and_delete_forgets(store: EntityStateStore) -> None:
    key = state_key("card", "c1")
    store.put_many({key: sample_state(10)})
    store.put_many({key: sample_state(30)})
    assert store.get_many([key])[0].last_timestamp == 30  # type: ignore[union-attr]
    assert store.size_of(key) > 0
    store.delete_many([key])
    assert store.get_many([key]) == [None]
    assert store.size_of(key) == 0


def test_delete_range_forgets_exactly_the_keys_in_the_range(store: EntityStateStore) -> None:
    keys = ["\x1fseen\x1f0001\x1fa", "\x1fseen\x1f0002\x1fb", "\x1fseen\x1f0003\x1fc"]
    card = state_key("card", "c1")
    store.put_many({key: sample_state(7) for key in [*keys, card]})
    store.delete_range("\x1fseen\x1f", "\x1fseen\x1f0003")
    assert [state is not None for state in store.get_many([*keys, card])] == [
        False, False, True, True,
    ]  # fmt: skip


def test_many_keys_in_one_call(store: EntityStateStore) -> None:
    states = {state_key("card", f"c{i}"): sample_state(i + 6) for i in range(1200)}
    store.put_many(states)
    keys = list(states)[::-1]
    found = store.get_many(keys)
    assert [state.last_timestamp for state in found if state is not None] == [
        states[key].last_timestamp for key in keys
    ]


def test_sqlite_state_survives_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    first = open_state_store("sqlite", path)
    first.put_many({"k": sample_state()})
    first.close()
    second = open_state_store("sqlite", path)
    assert second.get_many(["k"]) == [sample_state()]
    second.close()


def test_state_keys_tell_strings_from_numbers() -> None:
    assert state_key("shop", "7") != state_key("shop", 7)
    assert state_key("flag", True) != state_key("flag", 1)


def test_a_corrupt_state_is_refused_not_executed() -> None:
    with pytest.raises(StorageError, match="not readable"):
        decode_state(b"\x80\x04pickle")
    with pytest.raises(StorageError, match="format"):
        decode_state(b'{"format": 99}')
    with pytest.raises(StorageError, match="format"):
        decode_state(b"[1]")
    with pytest.raises(StorageError, match="not readable"):  # a field missing
        decode_state(b'{"format": 1, "last": 5}')
    with pytest.raises(StorageError, match="not readable"):  # totals of the wrong shape
        decode_state(
            b'{"format": 1, "last": 5, "ts": [], "values": {}, "totals": {"a": [1]},'
            b' "snapshots": {}}'
        )
    assert decode_state(encode_state(sample_state())) == sample_state()


def test_a_states_floats_come_back_exactly_as_with_the_standard_library() -> None:
    state = sample_state()
    encoded = encode_state(state)
    standard = json.loads(encoded)  # another parser reads the same numbers
    assert standard["last"] == state.last_timestamp
    assert [tuple(item) for item in standard["totals"].values()] == list(state.totals.values())
    assert decode_state(json.dumps(standard).encode()) == state


def test_unknown_store_kinds_and_missing_urls_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown online state type 'cassandra'"):
        open_state_store("cassandra")
    with pytest.raises(ConfigError, match="needs a URL"):
        open_state_store("redis")
