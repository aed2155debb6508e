"""``watchkeeper serve``: the scoring service on uvicorn (see :mod:`watchkeeper.serving.app`).

Each worker process builds its own app from the workspace (``WATCHKEEPER_WORKSPACE`` is set
for them), so nothing is shared but the stores. The admin token is read from
``WATCHKEEPER_ADMIN_TOKEN`` by each worker and never printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.app import WorkspaceOption, app
from watchkeeper.errors import ConfigError

WORKSPACE_VARIABLE = "WATCHKEEPER_WORKSPACE"


def app_from_environment() -> object:
    """The uvicorn factory of each worker: an app over ``$WATCHKEEPER_WORKSPACE``."""
    from watchkeeper.serving.app import create_app
    from watchkeeper.workspace import Workspace

    return create_app(Workspace.open(Path(os.environ.get(WORKSPACE_VARIABLE, "."))))


@app.command("serve")
def serve(
    workspace: WorkspaceOption = Path(),
    host: Annotated[str | None, typer.Option("--host", help="Default: serving.host.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Default: serving.port.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Default: serving.workers.")
    ] = None,
) -> None:
    """Serve /v1/score, outcomes, rollout control and /metrics over HTTP."""
    import uvicorn

    from watchkeeper.serving.no_delay_protocol import NoDelayH11Protocol
    from watchkeeper.workspace import Workspace

    with Workspace.open(workspace) as opened:
        serving = opened.config.serving
        state_type = opened.config.storage.online_state.type
        root = opened.root
    processes = workers or serving.workers
    if processes > 1 and state_type == "memory":
        raise ConfigError(
            f"serving with {processes} workers needs an online state they share: set "
            "storage.online_state.type to sqlite or redis (memory state is per process, so "
            "a card's windowed features would depend on the worker it reached)"
        )
    os.environ[WORKSPACE_VARIABLE] = str(root)
    uvicorn.run(
        "watchkeeper.cli.serve_command:app_from_environment",
        factory=True,
        http=NoDelayH11Protocol,
        host=host or serving.host,
        port=port or serving.port,
        workers=processes,
        access_log=False,
        log_level="info",
    )


__all__ = ["app_from_environment", "serve"]
