"""A spool follows its workspace when the workspace is copied or moved, and still refuses to
feed a second, different event store."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.errors import StorageError
from watchkeeper.storage.events.spool import Spool
from watchkeeper.workspace import Workspace


def owner_in(spool: Path) -> str:
    with sqlite3.connect(spool) as connection:
        (owner,) = connection.execute(
            "SELECT value FROM spool_identity WHERE key = 'owner'"
        ).fetchone()
    return str(owner)


def test_a_copied_workspace_opens_and_flushes(tmp_path: Path, samples: Any) -> None:
    original = Workspace.create(tmp_path / "ws")
    with Workspace.open(original) as workspace:
        workspace.events.append("transactions", samples.transactions(3).drop("is_fraud"))
    copy = tmp_path / "ws2"
    shutil.copytree(original, copy)

    with Workspace.open(copy) as workspace:
        workspace.events.append(
            "transactions", samples.transactions(2, prefix="copy").drop("is_fraud")
        )
        assert workspace.events.flush().rows == 2
        assert workspace.events.read("transactions").height == 5
    with Workspace.open(original) as workspace:  # the original is untouched
        assert workspace.events.read("transactions").height == 3
    assert owner_in(copy / ".watchkeeper" / "events.spool") == "./events"


def test_a_spool_with_an_absolute_owner_still_opens_and_follows_a_copy(
    tmp_path: Path, samples: Any
) -> None:
    original = Workspace.create(tmp_path / "ws")
    with Workspace.open(original) as workspace:
        workspace.events.append("transactions", samples.transactions(3).drop("is_fraud"))
    spool = original / ".watchkeeper" / "events.spool"
    events = str((original / ".watchkeeper" / "events").resolve())
    with sqlite3.connect(spool) as connection:  # as written before owners were relative
        connection.execute("UPDATE spool_identity SET value = ? WHERE key = 'owner'", (events,))
    copy = tmp_path / "ws2"
    shutil.copytree(original, copy)

    with Workspace.open(copy) as workspace:
        workspace.events.append(
            "transactions", samples.transactions(1, prefix="copy").drop("is_fraud")
        )
        assert workspace.events.flush().rows == 1
    assert owner_in(copy / ".watchkeeper" / "events.spool") == "./events"
    with Workspace.open(original) as workspace:
        assert workspace.events.read("transactions").height == 3
    assert owner_in(spool) == "./events"


def test_a_spool_shared_by_two_stores_is_still_refused(tmp_path: Path) -> None:
    spool = tmp_path / "shared" / "events.spool"
    Spool(spool, owner=str(tmp_path / "shared" / "events")).close()
    with pytest.raises(StorageError, match=r"feeds the event store .*shared/events'"):
        Spool(spool, owner=str(tmp_path / "other" / "events"))


def test_an_absolute_owner_of_another_living_store_is_refused(tmp_path: Path) -> None:
    spool = tmp_path / "a" / "events.spool"
    first = tmp_path / "b" / "events"  # another store, still there, fed from this spool
    first.mkdir(parents=True)
    Spool(spool, owner="root").close()
    with sqlite3.connect(spool) as connection:
        connection.execute("UPDATE spool_identity SET value = ? WHERE key = 'owner'", (str(first),))
    with pytest.raises(StorageError, match="feeds the event store"):
        Spool(spool, owner=str(tmp_path / "a" / "events"))
