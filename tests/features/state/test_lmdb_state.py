"""The LMDB state beyond the common contract: long keys, one file shared in a process and
between processes, and what a killed writer leaves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from watchkeeper.errors import StorageError
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.lmdb import MAX_KEY_BYTES, LmdbStateStore
from watchkeeper.features.state.store import state_key

WRITE_THEN_HANG = """
import sys, time
from pathlib import Path
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.lmdb import LmdbStateStore
store = LmdbStateStore(Path(sys.argv[1]), namespace="shared")
store.put_many({f"card-{n}": EntityState(last_timestamp=n) for n in range(100)})
print("written", flush=True)
time.sleep(60)
"""


def test_keys_longer_than_lmdb_allows_are_kept_apart(tmp_path: Path) -> None:
    store = LmdbStateStore(tmp_path / "state.lmdb")
    first, second = (state_key("merchant", "m" * 600 + suffix) for suffix in ("a", "b"))
    assert len(first.encode()) > MAX_KEY_BYTES
    store.put_many({first: EntityState(last_timestamp=1), second: EntityState(last_timestamp=2)})
    found = store.get_many([first, second])
    assert [state.last_timestamp for state in found if state is not None] == [1, 2]
    store.close()


def test_namespaces_do_not_see_each_other(tmp_path: Path) -> None:
    ours = LmdbStateStore(tmp_path / "state.lmdb", namespace="fraud")
    theirs = LmdbStateStore(tmp_path / "state.lmdb", namespace="credit")
    ours.put_many({"k": EntityState(last_timestamp=1)})
    assert theirs.get_many(["k"]) == [None]
    ours.close()
    theirs.close()


def test_two_stores_of_one_file_in_a_process_share_it_until_the_last_closes(
    tmp_path: Path,
) -> None:
    first = LmdbStateStore(tmp_path / "state.lmdb")
    second = LmdbStateStore(tmp_path / "state.lmdb")
    first.put_many({"k": EntityState(last_timestamp=5)})
    first.close()
    first.close()  # closing twice releases once
    assert second.get_many(["k"])[0] == EntityState(last_timestamp=5)
    second.close()
    reopened = LmdbStateStore(tmp_path / "state.lmdb")
    assert reopened.get_many(["k"])[0] == EntityState(last_timestamp=5)
    reopened.close()


def test_another_process_writes_are_seen_and_survive_its_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "state.lmdb"
    reader = LmdbStateStore(path, namespace="shared")  # open before the writer: a live map
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITE_THEN_HANG, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    found = reader.get_many([f"card-{n}" for n in range(100)])
    assert [state.last_timestamp if state else None for state in found] == list(range(100))
    reader.put_many({"card-0": EntityState(last_timestamp=1000)})  # the lock was not left held
    assert reader.get_many(["card-0"])[0] == EntityState(last_timestamp=1000)
    reader.close()


def test_a_file_that_is_not_lmdb_is_a_storage_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "state.lmdb"
    path.write_bytes(b"not an lmdb file" * 1000)
    with pytest.raises(StorageError, match=r"state\.lmdb: cannot open the online state file"):
        LmdbStateStore(path)
