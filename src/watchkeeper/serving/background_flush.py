"""A background thread that moves spooled predictions to Delta every few seconds.

Appends are acknowledged once in the spool; the event store also flushes inline when its
backlog grows old, which would put a Delta commit inside some request. Flushing from a
thread at a shorter interval keeps the backlog young, so requests only pay for the spool.

>>> import threading
>>> calls = []
>>> flusher = BackgroundFlush(lambda: calls.append(1), interval_seconds=0.01)
>>> flusher.start()
>>> flusher.stop()
>>> len(calls) >= 1
True
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class BackgroundFlush:
    """Calls ``flush`` every ``interval_seconds`` on a daemon thread, and once when stopped."""

    def __init__(self, flush: Callable[[], object], interval_seconds: float) -> None:
        self._flush = flush
        self._interval = interval_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchkeeper-flush", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after a last flush."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            flush_logged(self._flush)
        flush_logged(self._flush)


def flush_logged(flush: Callable[[], object]) -> None:
    """Call ``flush``; log its failure instead of raising it."""
    try:
        flush()
    except Exception:  # the rows stay in the spool; the next flush retries them
        logger.exception("flush of the prediction log failed")


__all__ = ["BackgroundFlush", "flush_logged"]
