"""uvicorn, run by ``watchkeeper serve`` so that a stop always ends, in bounded time.

uvicorn serves in the main process with one worker (:class:`uvicorn.Server`) and behind its
multiprocess supervisor with more (:class:`uvicorn.supervisors.Multiprocess`). Either way
:func:`run_server`:

* takes ``SIGINT`` and ``SIGTERM`` itself and begins the stop at once, where the supervisor
  only queued the signal for its next half-second round; in that round it could restart a
  worker that the same signal, sent to the whole process group, had just stopped, and the
  new worker was then told to stop while it was starting, which it could miss, serving on
  while the supervisor waited for it;
* gives the requests in flight half of ``serving.shutdown_timeout`` to finish (uvicorn's
  ``timeout_graceful_shutdown``; it waited for every connection for ever), and the
  :class:`~watchkeeper.serving.shutdown_deadline.ShutdownDeadline` bounds the whole stop;
* closes the listening socket as soon as the workers are gone, before the last flush;
* sets the keep-alive and header timeouts (``serving.keep_alive_timeout``,
  ``serving.header_timeout``: :mod:`watchkeeper.serving.h11_guards`).

One worker's server runs on the main thread: a signal handler may only be set there.
"""

from __future__ import annotations

import logging
import math
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import SIGNALS as SUPERVISOR_SIGNALS

from watchkeeper.config.lifecycle import ServingConfig
from watchkeeper.serving.h11_guards import HEADER_TIMEOUT_SECONDS, GuardedH11Protocol
from watchkeeper.serving.shutdown_deadline import ShutdownDeadline

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ServerConfig(uvicorn.Config):
    """uvicorn's config, carrying the header timeout to every worker's connections (a worker
    receives the config pickled: a module-level class travels by name)."""

    def __init__(
        self, *args: Any, header_timeout_seconds: float = HEADER_TIMEOUT_SECONDS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_seconds = header_timeout_seconds


def server_config(
    app: str, *, host: str, port: int, workers: int, serving: ServingConfig
) -> ServerConfig:
    """The uvicorn config of ``watchkeeper serve`` for the app factory at ``app``.

    >>> config = server_config("x:y", host="127.0.0.1", port=8000, workers=1,
    ...                        serving=ServingConfig(shutdown_timeout="20s"))
    >>> config.timeout_graceful_shutdown, config.timeout_keep_alive, config.header_timeout_seconds
    (10, 5, 10.0)
    """
    return ServerConfig(
        app,
        factory=True,
        http=GuardedH11Protocol,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="info",
        timeout_keep_alive=math.ceil(serving.keep_alive_timeout.total_seconds()),
        timeout_graceful_shutdown=drain_seconds(serving.shutdown_timeout.total_seconds()),
        header_timeout_seconds=serving.header_timeout.total_seconds(),
    )


def drain_seconds(shutdown_timeout_seconds: float) -> int:
    """The share of a stop left to the requests in flight: half, in whole seconds, at least 1.

    >>> drain_seconds(20.0), drain_seconds(1.0)
    (10, 1)
    """
    return max(1, int(shutdown_timeout_seconds / 2))


def log_to_stderr() -> None:
    """Write watchkeeper's log lines of level INFO and above to stderr, as uvicorn writes its
    own: the flusher's deaths and restarts, the stop."""
    package = logging.getLogger("watchkeeper")
    if not package.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        package.addHandler(handler)
        package.setLevel(logging.INFO)


def run_server(config: ServerConfig, deadline: ShutdownDeadline) -> None:
    """Serve until ``SIGINT`` or ``SIGTERM`` (see the module); exit with uvicorn's status 3 if
    a single worker's server failed to start."""
    if config.workers > 1:
        _run_workers(config, deadline)
        return
    server = uvicorn.Server(config)

    def stop() -> None:
        server.should_exit = True

    deadline.watch(lambda: bool(server.should_exit))
    with _stopping_on_signals(stop, deadline):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _run_workers(config: ServerConfig, deadline: ShutdownDeadline) -> None:
    previous = {number: signal.getsignal(number) for number in SUPERVISOR_SIGNALS}
    listening = config.bind_socket()
    try:
        supervisor = Multiprocess(config, sockets=[listening])  # sets its signal handlers
        deadline.watch(supervisor.should_exit.is_set)
        with _stopping_on_signals(supervisor.should_exit.set, deadline):
            supervisor.run()
    finally:
        listening.close()  # the port closes now, not after the last flush
        for number, handler in previous.items():  # the supervisor's, left behind
            if handler is not None:
                signal.signal(number, handler)


@contextmanager
def _stopping_on_signals(stop: Callable[[], None], deadline: ShutdownDeadline) -> Iterator[None]:
    """While open, ``SIGINT`` and ``SIGTERM`` begin the deadline and call ``stop``."""

    def handle(number: int, frame: FrameType | None) -> None:
        if not deadline.begun:
            logger.info(
                "%s received: stopping within %.0f s (serving.shutdown_timeout)",
                signal.Signals(number).name,
                deadline.timeout_seconds,
            )
        deadline.begin()
        stop()

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


__all__ = ["ServerConfig", "drain_seconds", "log_to_stderr", "run_server", "server_config"]
