"""Group commit of the prediction log: concurrent requests' rows in one event store append.

Each scored request has a few prediction rows to log before it may answer. Appended one by
one, every request pays for building an Arrow table, validating it, encoding it and a spool
commit. :class:`GroupedAppender` lets requests in flight share that work: every row queued
while an append runs goes into the next one, as one set of columns (one check, one JSON
encoding, one spool transaction and fsync: the store's ``append_columns``). A caller learns that its rows are durable only once the append
that carried them has returned; a failed append fails every caller of its group.

Two kinds of callers, each with its own queue (both end in the store's thread-safe append):

* threads call :meth:`GroupedAppender.append`, which returns when the rows are durable (the
  first caller finding no append running makes the next one itself);
* coroutines call :meth:`GroupedAppender.submit`, which returns an :class:`asyncio.Future`:
  a writer thread appends the queued rows group after group, so the loop goes on parsing
  and scoring the next requests meanwhile, and one callback per group settles its callers'
  futures. A request costs no thread hop of its own.

>>> import asyncio
>>> import pyarrow as pa
>>> class Store:
...     def __init__(self): self.appends = []
...     def append_columns(self, table, columns): self.appends.append(len(columns["event_id"]))
>>> store = Store()
>>> appender = GroupedAppender(store, "outcomes", pa.schema([("event_id", pa.string())]))
>>> appender.append({"event_id": ["e1", "e2"]})
>>> async def three_requests():  # each in the first group the writer takes after it
...     await asyncio.gather(*(appender.submit({"event_id": [e]}) for e in ("e3", "e4", "e5")))
>>> asyncio.run(three_requests())
>>> store.appends[0], sum(store.appends[1:])
(2, 3)
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

WRITER_IDLE_SECONDS = 2.0
"""How long the writer thread of :meth:`GroupedAppender.submit` waits for work before it
stops (the next submit starts a new one), so replaced appenders leave no thread behind."""


class _Appends(Protocol):
    def append_columns(self, table: str, columns: Mapping[str, Sequence[Any]]) -> object: ...


@dataclass
class _Queued:
    columns: dict[str, list[Any]]
    done: bool = False
    error: BaseException | None = None


@dataclass
class _Submitted:
    columns: dict[str, list[Any]]
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    token: Any


@dataclass
class GroupStatistics:
    """How many appends were made and how many calls they carried."""

    appends: int = 0
    calls: int = 0
    rows: int = 0


class GroupedAppender:
    """Appends the rows of concurrent callers to ``table`` together (see the module)."""

    def __init__(
        self,
        events: _Appends,
        table: str,
        schema: pa.Schema,
        on_group_done: Callable[[list[Any], bool], None] | None = None,
    ) -> None:
        self.events = events
        self.table = table
        self.schema = schema
        self.on_group_done = on_group_done
        """Called on the event loop once a group of :meth:`submit` calls is appended (or has
        failed) with their tokens and whether the append succeeded, before their futures
        are settled: work that must follow the append even for a cancelled caller."""
        self.statistics = GroupStatistics()
        self._statistics_lock = threading.Lock()
        self._condition = threading.Condition(threading.Lock())
        self._queue: list[_Queued] = []
        self._writing = False
        self._submitted: list[_Submitted] = []
        self._submitted_ready = threading.Condition(threading.Lock())
        self._writer: threading.Thread | None = None

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
                    self._append_group([item.columns for item in group])
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

    def submit(self, columns: dict[str, list[Any]], token: Any = None) -> asyncio.Future[None]:
        """Queue ``columns`` from a coroutine; the future is done when they are durable.

        The appends run on a writer thread of this appender, one group after the other
        without waiting for the event loop in between; the loop hears of each group once
        (one callback passes the group's ``token`` values to :attr:`on_group_done`, then
        settles its callers' futures). The future fails with the append's error if the
        group's append failed.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._submitted_ready:
            self._submitted.append(_Submitted(columns, future, loop, token))
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_submitted, name="watchkeeper-log", daemon=True
                )
                self._writer.start()
            else:
                self._submitted_ready.notify()
        return future

    def _write_submitted(self) -> None:
        """The writer thread: append each group queued meanwhile; stop when idle a while."""
        while True:
            with self._submitted_ready:
                if not self._submitted:
                    self._submitted_ready.wait(timeout=WRITER_IDLE_SECONDS)
                    if not self._submitted:
                        self._writer = None
                        return
                group, self._submitted = self._submitted, []
            error: BaseException | None = None
            try:
                self._append_group([item.columns for item in group])
            except BaseException as failure:  # settles every caller of the group
                error = failure
            by_loop: dict[asyncio.AbstractEventLoop, list[_Submitted]] = {}
            for item in group:
                by_loop.setdefault(item.loop, []).append(item)
            for loop, items in by_loop.items():
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                    loop.call_soon_threadsafe(self._group_done, items, error)

    def _group_done(self, items: list[_Submitted], error: BaseException | None) -> None:
        """On the loop: :attr:`on_group_done`, then each caller's future."""
        try:
            if self.on_group_done is not None:
                self.on_group_done([item.token for item in items], error is None)
        finally:
            for item in items:
                if item.future.done():  # cancelled meanwhile
                    continue
                if error is None:
                    item.future.set_result(None)
                else:
                    item.future.set_exception(error)

    def _append_group(self, group: list[dict[str, list[Any]]]) -> None:
        merged: dict[str, list[Any]] = {name: [] for name in self.schema.names}
        for columns in group:
            for name, values in columns.items():
                merged[name].extend(values)
        self.events.append_columns(self.table, merged)
        with self._statistics_lock:
            statistics = self.statistics
            statistics.appends += 1
            statistics.calls += len(group)
            statistics.rows += len(merged[self.schema.names[0]])


__all__ = ["WRITER_IDLE_SECONDS", "GroupStatistics", "GroupedAppender"]
