"""The snapshot file of an in-process online state: how a memory state outlives its process.

A :class:`~watchkeeper.features.state.memory.MemoryStateStore` bound to a file loads it when
opened and writes it back with :meth:`~watchkeeper.features.state.memory.MemoryStateStore.save`
(a backfill does, and so does a clean stop of the process that changed the state).

The file is text: a header line, then one line per key, the key as a JSON string, a tab, and
the state's bytes as :mod:`~watchkeeper.features.state.codec` writes them (compact JSON, one
line: JSON escapes every control character). Nothing in it is executed when read. It is
written to a temporary file beside it and renamed over it, so a reader sees the old file or
the new one, never half of one.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "state.snapshot"
>>> write_snapshot(path, {"card\\x1fs:a\\tb": b'{"format":1}'})
>>> read_snapshot(path)
{'card\\x1fs:a\\tb': b'{"format":1}'}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import orjson

from watchkeeper.errors import StorageError

HEADER = b'{"watchkeeper_online_state_snapshot":1}'
"""The first line of every snapshot file (its format version)."""


def read_snapshot(path: Path) -> dict[str, bytes]:
    """The encoded states of a snapshot file, by key."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise StorageError(f"{path}: cannot read the online state snapshot: {error}") from None
    lines = data.split(b"\n")
    if lines[0] != HEADER:
        raise StorageError(
            f"{path}: not an online state snapshot of this format (delete it and fill the state "
            "again with 'watchkeeper features backfill-state')"
        )
    states: dict[str, bytes] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        key, tab, state = line.partition(b"\t")
        try:
            name = orjson.loads(key)
        except orjson.JSONDecodeError:
            name = None
        if not tab or not isinstance(name, str):
            raise StorageError(f"{path}: line {number} is not a key and a state")
        states[name] = state
    return states


def write_snapshot(path: Path, states: Mapping[str, bytes]) -> None:
    """Write ``states`` (encoded) to ``path``, replacing it whole."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as file:
            file.write(HEADER + b"\n")
            for key, state in states.items():
                file.write(orjson.dumps(key) + b"\t" + state + b"\n")
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise StorageError(f"{path}: cannot write the online state snapshot: {error}") from None


__all__ = ["HEADER", "read_snapshot", "write_snapshot"]
