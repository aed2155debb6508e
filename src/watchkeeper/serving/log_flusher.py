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
at a time (:meth:`~watchkeeper.storage.events.spool.Spool.forget_through`), and a worker waiting
for that lock sleeps, which leaves the flusher the CPU to finish.

The flusher flushes every ``interval_seconds`` and once more when stopped; it exits by
itself when the process that started it is gone (``kill -9`` of the server), since the
rows it would flush stay safe in the spool for the next flush anyway.

It is told to stop through a pipe, not a :class:`multiprocessing.Event`: setting such an
event waits for every process that was waiting on it to wake, so a flusher killed while it
waited (``kill -9``, or a ``SIGTERM`` sent to the server's whole process group) left the
server hanging in :meth:`LogFlusher.stop` for ever. A write to a pipe never waits for the
reader. A flush cut short by the kill that ends a late :meth:`LogFlusher.stop` loses
nothing: its rows stay in the spool, and a Delta commit is recorded with the spool's entry
ids, so the next flush neither loses nor repeats them. The flusher ignores ``SIGINT`` and
``SIGTERM`` (a Ctrl-C or a ``SIGTERM`` to the server's process group reaches it too): the
server stops it after its workers, so that the last flush takes their last rows.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

from watchkeeper.serving.background_flush import flush_logged

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0
"""How often the flusher moves the spooled predictions to Delta."""
PARENT_CHECK_SECONDS = 0.5
"""How often the flusher looks whether the server that started it is still there."""
STOP_TIMEOUT_SECONDS = 120.0
"""How long :meth:`LogFlusher.stop` waits for the last flush by default before it kills the
process."""
_STOP = b"stop"


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
        self._stop_reader, self._stop_writer = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_flusher_process,
            args=(str(root), interval_seconds, self._stop_reader, os.getpid()),
            name="watchkeeper-flusher",
            daemon=True,
        )

    def start(self) -> None:
        """Start the process."""
        self._process.start()
        self._stop_reader.close()  # the flusher holds its own end

    def stop(self, timeout_seconds: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """Stop the process after its last flush, killing it if that takes longer than
        ``timeout_seconds`` (the rows it had not committed stay in the spool); its exit code
        (0: clean, negative: the signal that ended it). Never waits longer, whatever state the
        process is in, dead included."""
        if self._process.pid is None:
            return None
        with contextlib.suppress(OSError):  # a dead flusher no longer reads: nothing to tell
            self._stop_writer.send_bytes(_STOP)
        self._stop_writer.close()
        self._process.join(max(0.0, timeout_seconds))
        if self._process.is_alive():
            logger.warning("the flusher did not stop within %.0f s; killed", timeout_seconds)
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


def flush_until_stopped(
    root: str, interval_seconds: float, stopping: Connection, parent: int
) -> None:
    """The flusher process: flush every ``interval_seconds`` until told to stop through
    ``stopping`` (then once more), or until the process ``parent`` or its end of the pipe
    is gone."""
    from watchkeeper.workspace import Workspace

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    with Workspace.open(Path(root)) as workspace:
        events = workspace.events
        next_flush = time.monotonic() + interval_seconds
        while os.getppid() == parent:  # else the server is gone; the spool keeps the rest
            pause = min(PARENT_CHECK_SECONDS, max(0.0, next_flush - time.monotonic()))
            if stopping.poll(pause):
                if _told_to_stop(stopping):
                    flush_logged(events.flush)
                return
            if time.monotonic() >= next_flush:
                flush_logged(events.flush)
                next_flush = time.monotonic() + interval_seconds


def _told_to_stop(stopping: Connection) -> bool:
    """Whether the pipe holds the stop message (else its writer is gone, the server with it)."""
    try:
        return stopping.recv_bytes() == _STOP
    except (EOFError, OSError):
        return False


def _flusher_process(root: str, interval_seconds: float, stopping: Connection, parent: int) -> None:
    # A Ctrl-C or a SIGTERM sent to the server's process group reaches the flusher too; the
    # server stops it after its workers, so that its last flush takes their last rows.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
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
