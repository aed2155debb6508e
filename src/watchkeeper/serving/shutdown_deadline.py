"""A bound on how long ``watchkeeper serve`` takes to stop once it is asked to.

A stop has several waits in it (in-flight requests, the workers' exits, the flusher's last
flush), and each had a way of lasting for ever. :class:`ShutdownDeadline` bounds them all:
a thread notices that the server began to stop, and if the process is still there
``timeout_seconds`` later, it logs it, kills every child process (the workers, the flusher)
and ends the process with status 1. Nothing acknowledged is lost that way: a prediction is
in the spool before its answer, and the spool is flushed on the next start.

>>> now = [100.0]
>>> deadline = ShutdownDeadline(10.0, clock=lambda: now[0])
>>> deadline.remaining()  # not stopping yet: the whole bound
10.0
>>> deadline.begin()
>>> now[0] = 104.0
>>> deadline.begin()  # the first call counts
>>> deadline.remaining(), deadline.expired()
(6.0, False)
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2
"""How often the thread looks whether the server began to stop."""
EXPIRED_EXIT_STATUS = 1


class ShutdownDeadline:
    """The time left for a stop of ``timeout_seconds`` (see the module)."""

    def __init__(
        self,
        timeout_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        exit_process: Callable[[int], object] = os._exit,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self._clock = clock
        self._exit = exit_process
        self._begun_at: float | None = None
        self._lock = threading.Lock()

    def begin(self) -> None:
        """Start the countdown (once; later calls change nothing)."""
        with self._lock:
            if self._begun_at is None:
                self._begun_at = self._clock()

    @property
    def begun(self) -> bool:
        """Whether the stop has begun."""
        with self._lock:
            return self._begun_at is not None

    def remaining(self) -> float:
        """Seconds left before the deadline (the whole bound before :meth:`begin`)."""
        with self._lock:
            if self._begun_at is None:
                return self.timeout_seconds
            return max(0.0, self._begun_at + self.timeout_seconds - self._clock())

    def expired(self) -> bool:
        """Whether a begun stop has used its whole time."""
        return self.begun and self.remaining() <= 0.0

    def watch(self, stopping: Callable[[], bool]) -> None:
        """Start a daemon thread that calls :meth:`begin` once ``stopping()`` is true, and
        :meth:`enforce` once the deadline has passed."""
        thread = threading.Thread(
            target=self._watch, args=(stopping,), name="watchkeeper-shutdown", daemon=True
        )
        thread.start()

    def enforce(self) -> None:
        """The deadline has passed: kill every child process and end this one."""
        children = multiprocessing.active_children()
        logger.error(
            "the server did not stop within %.0f s (serving.shutdown_timeout); killing its %d "
            "child process(es) and exiting: logged rows not yet flushed wait in the spool",
            self.timeout_seconds,
            len(children),
        )
        for child in children:
            child.kill()
        self._exit(EXPIRED_EXIT_STATUS)

    def _watch(self, stopping: Callable[[], bool]) -> None:
        while True:
            time.sleep(POLL_SECONDS)
            if stopping():
                self.begin()
            if self.expired():
                self.enforce()
                return


__all__ = ["ShutdownDeadline"]
