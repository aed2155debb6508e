"""Keeps the flusher process of ``watchkeeper serve`` running, and says so when it dies.

A dead flusher went unnoticed: the service went on answering, every prediction waited in the
spool, and nothing was logged. The server's main process now runs a
:class:`FlusherSupervisor`, a thread that looks at the flusher every second. A dead one is
logged (its exit code, how long it lived, the restart count) and started again after a
back-off: one second, doubled after each death within a minute of its start, up to a minute,
so a flusher that dies at once does not spin. The thread runs in the main process whatever the
number of workers (with one, uvicorn serves in the main thread beside it).

>>> class Flusher:
...     def start(self): self.alive = True
...     def stop(self, timeout_seconds=0.0): return 0 if self.alive else -9
>>> now = [0.0]
>>> supervisor = FlusherSupervisor(Flusher, clock=lambda: now[0])
>>> supervisor.start(watch=False)
>>> supervisor.flusher.alive = False  # killed
>>> supervisor.check()  # logged; restarted once the back-off (1 s) has passed
>>> now[0] = 1.0
>>> supervisor.check()
>>> supervisor.restarts, supervisor.flusher.alive
(1, True)
>>> supervisor.stop()
0
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
"""How often the supervisor looks whether the flusher lives."""
FIRST_BACKOFF_SECONDS = 1.0
"""The wait before restarting a flusher that had run steadily."""
MAX_BACKOFF_SECONDS = 60.0
"""The longest wait before a restart (the back-off doubles up to it)."""
STEADY_SECONDS = 60.0
"""A flusher that lived this long before dying is restarted after the first back-off again."""


class Flusher(Protocol):
    """What the supervisor needs of a flusher (:class:`~watchkeeper.serving.log_flusher.LogFlusher`)."""

    @property
    def alive(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self, timeout_seconds: float = ...) -> int | None: ...


class FlusherSupervisor:
    """Starts a flusher made by ``make_flusher`` and restarts it when it dies (see the module)."""

    def __init__(
        self,
        make_flusher: Callable[[], Flusher],
        *,
        check_seconds: float = CHECK_SECONDS,
        first_backoff_seconds: float = FIRST_BACKOFF_SECONDS,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
        steady_seconds: float = STEADY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._make_flusher = make_flusher
        self._check_seconds = check_seconds
        self._first_backoff = first_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._steady = steady_seconds
        self._clock = clock
        self._backoff = 0.0
        self._started_at = 0.0
        self._restart_at: float | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name="watchkeeper-flusher-supervisor", daemon=True
        )
        self.flusher: Flusher = make_flusher()
        self.restarts = 0
        """How many times the flusher was started again."""

    def start(self, *, watch: bool = True) -> None:
        """Start the flusher and, unless ``watch`` is false (tests call :meth:`check`), the
        thread that checks it every ``check_seconds``."""
        self.flusher.start()
        self._started_at = self._clock()
        if watch:
            self._thread.start()

    def check(self) -> None:
        """Look at the flusher once: log a death, restart once the back-off has passed."""
        with self._lock:
            if self._stopping.is_set():
                return
            now = self._clock()
            if self._restart_at is None:
                if self.flusher.alive:
                    return
                self._schedule_restart(now)
            elif now >= self._restart_at:
                self.restarts += 1
                self._started_at = now
                self._restart_at = None
                self.flusher = self._make_flusher()
                try:
                    self.flusher.start()
                except Exception:
                    logger.exception("the flusher process could not be started")
                    self._schedule_restart(now)
                    return
                logger.warning("the flusher process was restarted (restart %d)", self.restarts)

    def stop(self, timeout_seconds: float = 30.0) -> int | None:
        """Stop watching, then stop the flusher after its last flush (within
        ``timeout_seconds``, else it is killed); its exit code."""
        with self._lock:
            self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.flusher.stop(timeout_seconds)

    def _schedule_restart(self, now: float) -> None:
        lived = now - self._started_at
        code = self.flusher.stop(0.0)  # reaps the dead process (or kills one that never ran)
        if self._backoff == 0.0 or lived >= self._steady:
            self._backoff = self._first_backoff
        else:
            self._backoff = min(self._max_backoff, self._backoff * 2)
        self._restart_at = now + self._backoff
        logger.error(
            "the flusher process died (exit code %s) after %.0f s: logged rows wait in the "
            "spool; restarting it in %.0f s (restart %d)",
            code,
            lived,
            self._backoff,
            self.restarts + 1,
        )

    def _watch(self) -> None:
        while not self._stopping.wait(self._check_seconds):
            try:
                self.check()
            except Exception:  # a failed restart is tried again at the next check
                logger.exception("the flusher process could not be checked or restarted")


__all__ = ["FlusherSupervisor"]
