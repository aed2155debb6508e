"""``watchkeeper serve``: the scoring service on uvicorn (see :mod:`watchkeeper.serving.app`).

Each worker process builds its own app from the workspace (``WATCHKEEPER_WORKSPACE`` is set
for them), so nothing is shared but the stores. One flusher process, started before the
workers and stopped after them, moves the logged predictions to Delta for all of them
(:mod:`watchkeeper.serving.log_flusher`); a thread of the main process restarts it if it dies
(:mod:`watchkeeper.serving.flusher_supervisor`). ``SIGTERM`` or ``SIGINT`` stops the server
within ``serving.shutdown_timeout`` (:mod:`watchkeeper.serving.server_run`). The admin token
is read from ``WATCHKEEPER_ADMIN_TOKEN``, the read token (``serving.protect_reads``, on by
default) from ``WATCHKEEPER_READ_TOKEN``, the token an external model's service logs its
predictions with (``POST /v1/predictions``) from ``WATCHKEEPER_LOG_TOKEN``, by each worker,
and none is ever printed.

A service never starts cold without saying so: when the online state holds no watermark for
the champion's fitted spec (:mod:`watchkeeper.application.online_state`) while the event store
holds history, ``serve`` refuses to start, naming ``watchkeeper features backfill-state``,
unless ``--allow-cold-state`` is given; ``/readyz`` reports the state's watermark either way.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from watchkeeper.cli.app import WorkspaceOption, app
from watchkeeper.cli.output import stderr
from watchkeeper.errors import ConfigError

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

WORKSPACE_VARIABLE = "WATCHKEEPER_WORKSPACE"
ALLOW_COLD_VARIABLE = "WATCHKEEPER_ALLOW_COLD_STATE"
"""Set by ``serve --allow-cold-state`` for its workers: ``/readyz`` then accepts a state
filled for another fitted spec than the champion's."""
APP_FACTORY = "watchkeeper.cli.serve_command:app_from_environment"
FLUSH_RESERVE_SECONDS = 1.0
"""Of the stop's time, what the last flush leaves: the flusher is killed before the deadline
kills everything."""


def app_from_environment() -> object:
    """The uvicorn factory of each worker: an app over ``$WATCHKEEPER_WORKSPACE``."""
    from watchkeeper.serving.app import create_app
    from watchkeeper.workspace import Workspace

    workspace = Workspace.open(Path(os.environ.get(WORKSPACE_VARIABLE, ".")))
    workspace.events.automatic_flush = False  # the server's flusher process flushes
    return create_app(
        workspace,
        flush_seconds=None,
        freeze_startup_heap=True,
        allow_cold_state=bool(os.environ.get(ALLOW_COLD_VARIABLE)),
    )


def refuse_cold_state(workspace: Workspace, allow_cold_state: bool, doing: str) -> None:
    """Refuse to start (a :class:`ConfigError` saying ``not DOING: ...``) when the online state
    was never filled from the event store's history, unless ``allow_cold_state``; then warn.
    Shared by ``serve`` and ``consume``."""
    from watchkeeper.application.online_state import cold_state_problem

    cold = cold_state_problem(workspace)
    if cold is not None and not allow_cold_state:
        raise ConfigError(f"not {doing}: {cold}")
    if cold is not None:
        stderr.print(f"[yellow]warning:[/] starting cold: {escape(cold)}", highlight=False)


ALLOW_COLD_HELP = (
    "Start even when the online state was not filled from the event store's history "
    "(windowed features then start empty)."
)


@app.command("serve")
def serve(
    workspace: WorkspaceOption = Path(),
    host: Annotated[str | None, typer.Option("--host", help="Default: serving.host.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Default: serving.port.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Default: serving.workers.")
    ] = None,
    allow_cold_state: Annotated[
        bool,
        typer.Option(
            "--allow-cold-state",
            help=ALLOW_COLD_HELP,
        ),
    ] = False,
) -> None:
    """Serve /v1/score, outcomes, rollout control and /metrics over HTTP.

    Besides the workers, a flusher process moves the logged predictions from the spool to
    Delta every 10 s (restarted if it dies). SIGTERM or SIGINT stops the server within
    serving.shutdown_timeout, after a last flush. It refuses to start with an online state
    never filled from the history (watchkeeper features backfill-state) unless
    --allow-cold-state.
    """
    from watchkeeper.features.state.store import state_backend
    from watchkeeper.serving.flusher_supervisor import FlusherSupervisor
    from watchkeeper.serving.log_flusher import LogFlusher
    from watchkeeper.serving.server_run import log_to_stderr, run_server, server_config
    from watchkeeper.serving.shutdown_deadline import ShutdownDeadline
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        serving = opened.config.serving
        state_type = opened.config.storage.online_state.type
        root = opened.root
        refuse_cold_state(opened, allow_cold_state, "serving")
    os.environ[ALLOW_COLD_VARIABLE] = "1" if allow_cold_state else ""
    processes = workers or serving.workers
    if processes > 1 and not state_backend(state_type).shared:
        raise ConfigError(
            f"serving with {processes} workers needs an online state they share: set "
            "storage.online_state.type to lmdb, sqlite or redis (memory state is per process, so "
            "a card's windowed features would depend on the worker it reached)"
        )
    os.environ[WORKSPACE_VARIABLE] = str(root)
    log_to_stderr()
    config = server_config(
        APP_FACTORY,
        host=host or serving.host,
        port=port or serving.port,
        workers=processes,
        serving=serving,
    )
    deadline = ShutdownDeadline(serving.shutdown_timeout.total_seconds())
    flusher = FlusherSupervisor(partial(LogFlusher, root))  # one for all workers, outside them
    flusher.start()
    try:
        run_server(config, deadline)
    finally:
        deadline.begin()  # at the latest now (a server that failed to start)
        flusher.stop(deadline.remaining() - FLUSH_RESERVE_SECONDS)


__all__ = [
    "ALLOW_COLD_HELP",
    "ALLOW_COLD_VARIABLE",
    "app_from_environment",
    "refuse_cold_state",
    "serve",
]
