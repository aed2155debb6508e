"""The flusher process of ``watchkeeper serve``: spooled events to Delta, outside the workers.

A flush parses thousands of spooled rows, builds Arrow tables and commits them to Delta: a
few hundred milliseconds of CPU every few seconds under load. In a worker's own thread it
held the worker's GIL for much of that time, and every request in flight waited: the p99
latency at 80% of the peak rate rose from 12 ms to 200-320 ms. So ``watchkeeper serve``
starts one :class:`LogFlusher` process for all its workers, which flush nothing themselves
(``DeltaEventStore.automatic_flush`` off). The spool is a SQLite file in WAL mode; the
workers append to it while the flusher reads and commits, each flush under the spool's
exclusive flush lock.

The flusher runs at the scheduler's idle priority (Linux's ``SCHED_IDLE``; elsewhere
``nice 19``): it gets the CPU the workers leave. At 4,300 requests a second on one worker, a
flush took a core for about 0.6 s; at normal priority it took that core from the worker and
the load, and the requests of those moments waited (p99 latency 23.8 and 63.1 ms in two
runs, against 15.4 and 25.6 ms at idle priority). Its rows wait safely in the spool if the
workers leave it nothing for a while; it holds the spool's write lock about 0.1 ms
at a time (:meth:`~watchkeeper.storage.spool.Spool.forget_through`), and a worker waiting
for that lock sleeps, which leaves the flusher the CPU to finish.

The flusher flushes every ``interval_seconds`` and once more when stopped; it exits by
itself when the process that started it is gone (``kill -9`` of the server), since the
rows it would flush stay safe in the spool for the next flush anyway.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from multiprocessing.synchronize import Event
from pathlib import Path

from watchkeeper.serving.background_flush import flush_logged

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0
"""How often the flusher moves the spooled predictions to Delta."""
PARENT_CHECK_SECONDS = 0.5
"""How often the flusher looks whether the server that started it is still there."""
STOP_TIMEOUT_SECONDS = 120.0
"""How long :meth:`LogFlusher.stop` waits for the last flush before it kills the process."""


class LogFlusher:
    """A process flushing the event store of the workspace at ``root`` every
    ``interval_seconds`` (see the module).

    >>> import tempfile
    >>> from watchkeeper.workspace import Workspace
    >>> root = Workspace.create(Path(tempfile.mkdtemp()) / "ws")
    >>> flusher = LogFlusher(root, interval_seconds=0.1)
    >>> flusher.start()
    >>> flusher.stop()
    0
    """

    def __init__(self, root: Path, interval_seconds: float = FLUSH_SECONDS) -> None:
        context = multiprocessing.get_context("spawn")
        self._stopping = context.Event()
        self._process = context.Process(
            target=_flusher_process,
            args=(str(root), interval_seconds, self._stopping, os.getpid()),
            name="watchkeeper-flusher",
            daemon=True,
        )

    def start(self) -> None:
        """Start the process."""
        self._process.start()

    def stop(self) -> int | None:
        """Stop the process after its last flush; its exit code (0: clean)."""
        self._stopping.set()
        self._process.join(STOP_TIMEOUT_SECONDS)
        if self._process.is_alive():
            logger.warning("the flusher did not stop within %.0f s; killed", STOP_TIMEOUT_SECONDS)
            self._process.kill()
            self._process.join()
        return self._process.exitcode

    @property
    def pid(self) -> int | None:
        """The process id, once started."""
        return self._process.pid

    @property
    def alive(self) -> bool:
        """Whether the process runs."""
        return self._process.is_alive()


def flush_until_stopped(root: str, interval_seconds: float, stopping: Event, parent: int) -> None:
    """The flusher process: flush every ``interval_seconds`` until ``stopping`` is set (then
    once more) or the process ``parent`` is gone."""
    from watchkeeper.workspace import Workspace

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    with Workspace.open(Path(root)) as workspace:
        events = workspace.events
        next_flush = time.monotonic() + interval_seconds
        while os.getppid() == parent:  # else the server is gone; the spool keeps the rest
            pause = min(PARENT_CHECK_SECONDS, max(0.0, next_flush - time.monotonic()))
            if stopping.wait(pause):
                flush_logged(events.flush)
                return
            if time.monotonic() >= next_flush:
                flush_logged(events.flush)
                next_flush = time.monotonic() + interval_seconds


def _flusher_process(root: str, interval_seconds: float, stopping: Event, parent: int) -> None:
    run_at_idle_priority()
    flush_until_stopped(root, interval_seconds, stopping, parent)


def run_at_idle_priority() -> None:
    """Give this process (and the threads it starts from now on) only the CPU that others
    leave: ``SCHED_IDLE`` where the system has it, else ``nice 19``; as it is if neither is
    allowed."""
    try:
        if hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        elif hasattr(os, "nice"):
            os.nice(19)
    except OSError as error:
        logger.warning("the flusher runs at normal priority: %s", error)


__all__ = ["FLUSH_SECONDS", "LogFlusher", "flush_until_stopped", "run_at_idle_priority"]
