"""Group commit of the prediction log: concurrent requests' rows in one event store append.

Each scored request has a few prediction rows to log before it may answer. Appended one by
one, every request pays for building an Arrow table, validating it, encoding it and a spool
commit. :class:`GroupedAppender` lets requests in flight share that work: the first caller
appends every row queued at that moment as one table (one validation, one encoding, one
spool transaction and fsync); those arriving meanwhile queue for the next group. Each call
returns only once the append that carried its rows has returned, so an answered request's
rows are durable, as before; a failed append raises in every caller of its group.

>>> import pyarrow as pa
>>> class Store:
...     def __init__(self): self.appends = []
...     def append(self, table, rows): self.appends.append(rows.num_rows)
>>> store = Store()
>>> appender = GroupedAppender(store, "outcomes", pa.schema([("event_id", pa.string())]))
>>> appender.append({"event_id": ["e1", "e2"]})
>>> store.appends
[2]
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa


class _Appends(Protocol):
    def append(self, table: str, rows: pa.Table) -> object: ...


@dataclass
class _Queued:
    columns: dict[str, list[Any]]
    done: bool = False
    error: BaseException | None = None


@dataclass
class GroupStatistics:
    """How many appends were made and how many calls they carried."""

    appends: int = 0
    calls: int = 0
    rows: int = 0


class GroupedAppender:
    """Appends the rows of concurrent callers to ``table`` together (see the module)."""

    def __init__(self, events: _Appends, table: str, schema: pa.Schema) -> None:
        self.events = events
        self.table = table
        self.schema = schema
        self.statistics = GroupStatistics()
        self._condition = threading.Condition(threading.Lock())
        self._queue: list[_Queued] = []
        self._writing = False

    def append(self, columns: dict[str, list[Any]]) -> None:
        """Append ``columns`` (name -> values, one list per schema column); return when durable."""
        queued = _Queued(columns)
        with self._condition:
            self._queue.append(queued)
            while not queued.done:
                if self._writing:
                    self._condition.wait()
                    continue
                self._writing = True
                group, self._queue = self._queue, []
                self._condition.release()
                error: BaseException | None = None
                try:
                    self._append_group(group)
                except BaseException as failure:  # raised in every caller of the group
                    error = failure
                finally:
                    self._condition.acquire()
                    self._writing = False
                    for item in group:
                        item.error = error
                        item.done = True
                    self._condition.notify_all()
        if queued.error is not None:
            raise queued.error

    def _append_group(self, group: list[_Queued]) -> None:
        merged: dict[str, list[Any]] = {name: [] for name in self.schema.names}
        for item in group:
            for name, values in item.columns.items():
                merged[name].extend(values)
        rows = pa.Table.from_pydict(merged, schema=self.schema)
        self.events.append(self.table, rows)
        statistics = self.statistics
        statistics.appends += 1
        statistics.calls += len(group)
        statistics.rows += rows.num_rows


__all__ = ["GroupStatistics", "GroupedAppender"]
