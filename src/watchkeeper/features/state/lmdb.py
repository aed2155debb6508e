"""The online state of the workers of one machine, shared through LMDB (memory-mapped).

Several server workers must see one state per key, or a card's windowed features would
depend on the worker its request reached. SQLite shares it through a file too, but each read
is a query (tens of microseconds, and the calling thread gives up the GIL and waits to get it
back); an LMDB read is a lookup in a memory map that every worker has mapped: about 1.5 µs.
Readers never wait for the writer; one worker at a time writes (LMDB's lock, across
processes), a few hundred microseconds for a group of states.

Durability: each write commits to the file through the operating system at once, so a
worker that dies (even ``kill -9``) loses nothing it committed. Commits are not flushed to
disk one by one (LMDB's ``NOSYNC``: a flush per group would cost about a millisecond of each
group's time), so a machine that crashes may lose the last updates; on a file system that
reorders writes LMDB does not promise an intact file after a machine crash. The state is
derived data: if the file cannot be opened, delete it and the windows start again empty.

LMDB keys are at most :data:`MAX_KEY_BYTES` bytes; a longer state key is stored under its
SHA-256 digest. The map is reserved as address space (:data:`MAP_BYTES`), not as memory or
disk: the file grows with what is written.

>>> import tempfile, pathlib
>>> from watchkeeper.features.entity_state import EntityState
>>> store = LmdbStateStore(pathlib.Path(tempfile.mkdtemp()) / "state.lmdb")
>>> store.put_many({"k": EntityState(last_timestamp=7)})
>>> store.get_many(["k", "other"])[0].last_timestamp
7
>>> store.close()
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import lmdb

from watchkeeper.errors import StorageError
from watchkeeper.features.entity_state import EntityState
from watchkeeper.features.state.codec import decode_state, encode_state

MAP_BYTES = 64 * 1024**3
"""The largest the state file may grow (64 GiB of address space, reserved, not used)."""

MAX_KEY_BYTES = 511
"""LMDB's default limit on a key's length."""

_HASHED = b"\x00sha256:"
"""Prefix of a hashed key (no state key starts with a NUL byte)."""


class LmdbStateStore:
    """Entity states in an LMDB file that every worker of the machine maps."""

    def __init__(self, path: Path, namespace: str = "watchkeeper") -> None:
        self.path = path
        self._prefix = namespace.encode("utf-8") + b"\x1e"
        self._environment = _SharedEnvironments.open(path)
        self._closed = False

    def get_many(self, keys: Sequence[str]) -> list[EntityState | None]:
        """The stored states, decoded afresh (one read transaction)."""
        try:
            with self._environment.begin() as transaction:
                found = [transaction.get(self._key(key)) for key in keys]
        except lmdb.Error as error:
            raise StorageError(f"{self.path}: cannot read the online state: {error}") from None
        return [None if data is None else decode_state(data) for data in found]

    def put_many(self, states: Mapping[str, EntityState]) -> None:
        """Write the states in one transaction, all or none."""
        if not states:
            return
        items = [(self._key(key), encode_state(state)) for key, state in states.items()]
        try:
            with self._environment.begin(write=True) as transaction:
                for key, data in items:
                    transaction.put(key, data)
        except lmdb.MapFullError:
            raise StorageError(
                f"{self.path}: the online state reached its {MAP_BYTES // 1024**3} GiB limit"
            ) from None
        except lmdb.Error as error:
            raise StorageError(f"{self.path}: cannot write the online state: {error}") from None

    def delete_many(self, keys: Sequence[str]) -> None:
        """Forget the states of ``keys``."""
        try:
            with self._environment.begin(write=True) as transaction:
                for key in keys:
                    transaction.delete(self._key(key))
        except lmdb.Error as error:
            raise StorageError(f"{self.path}: cannot delete online states: {error}") from None

    def delete_range(self, low: str, high: str) -> None:
        """Forget the keys in ``[low, high)`` with a cursor over that range (keys stored by
        their hash, over 511 bytes, are not in it)."""
        first, last = self._key(low), self._key(high)
        try:
            with self._environment.begin(write=True) as transaction:
                cursor = transaction.cursor()
                if cursor.set_range(first):
                    while cursor.key() < last and cursor.delete():
                        pass
        except lmdb.Error as error:
            raise StorageError(f"{self.path}: cannot delete online states: {error}") from None

    def size_of(self, key: str) -> int:
        """Bytes of the stored state of ``key``."""
        with self._environment.begin() as transaction:
            data = transaction.get(self._key(key))
        return 0 if data is None else len(data)

    def close(self) -> None:
        """Release this store's use of the file (the last one closes it)."""
        if not self._closed:
            self._closed = True
            _SharedEnvironments.release(self.path)

    def _key(self, key: str) -> bytes:
        encoded = self._prefix + key.encode("utf-8")
        if len(encoded) > MAX_KEY_BYTES:
            return _HASHED + hashlib.sha256(encoded).digest()
        return encoded


class _SharedEnvironments:
    """One LMDB environment per file and process, shared by the stores that open it.

    LMDB forbids opening one file twice in a process: its locks belong to the process, and
    closing one handle would release the other's.
    """

    _lock = threading.Lock()
    _open: ClassVar[dict[str, tuple[lmdb.Environment, int]]] = {}

    @classmethod
    def open(cls, path: Path) -> lmdb.Environment:
        name = os.path.realpath(path)
        with cls._lock:
            if name in cls._open:
                environment, users = cls._open[name]
                cls._open[name] = (environment, users + 1)
                return environment
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                environment = lmdb.open(
                    str(path),
                    map_size=MAP_BYTES,
                    subdir=False,
                    sync=False,  # see the module: written through at once, flushed by the OS
                    metasync=False,
                    readahead=False,
                    max_dbs=0,
                )
            except (OSError, lmdb.Error) as error:
                raise StorageError(
                    f"{path}: cannot open the online state file: {error} (if it was damaged "
                    "by a machine crash, delete it: the windows start again empty)"
                ) from None
            cls._open[name] = (environment, 1)
            return environment

    @classmethod
    def release(cls, path: Path) -> None:
        name = os.path.realpath(path)
        with cls._lock:
            environment, users = cls._open[name]
            if users > 1:
                cls._open[name] = (environment, users - 1)
                return
            del cls._open[name]
            environment.close()


__all__ = ["MAP_BYTES", "MAX_KEY_BYTES", "LmdbStateStore"]
