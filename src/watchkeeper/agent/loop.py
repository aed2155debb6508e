"""``watchkeeper run``: the agent's loop — a tick, a pause, a tick — until it is stopped.

The loop reads the time from the workspace's clock and waits on an event between ticks, so
a stop request (SIGINT or SIGTERM, or :meth:`AgentLoop.stop`) ends it at once, after the
running tick finishes: a tick is never cut in half.

>>> import tempfile
>>> from datetime import timedelta
>>> from pathlib import Path
>>> from watchkeeper.workspace import Workspace
>>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
...     reports = AgentLoop(workspace, interval=timedelta(seconds=0)).run(ticks=2)
>>> len(reports)
2
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from watchkeeper.agent.tick import AgentSession, TickReport, run_tick
from watchkeeper.errors import ConfigError
from watchkeeper.workspace import Workspace


class AgentLoop:
    """Runs :func:`~watchkeeper.agent.tick.run_tick` every ``interval``."""

    def __init__(self, workspace: Workspace, *, interval: timedelta) -> None:
        if interval < timedelta(0):
            raise ConfigError(f"--interval must not be negative (got {interval})")
        self.workspace = workspace
        self.interval = interval
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Ask the loop to end after the running tick."""
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        """Whether a stop was asked for."""
        return self._stopped.is_set()

    def run(
        self,
        *,
        ticks: int | None = None,
        on_tick: Callable[[TickReport], None] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> list[TickReport]:
        """Tick until stopped (or ``ticks`` times); the reports, oldest first."""
        reports: list[TickReport] = []
        session = AgentSession(self.workspace)
        while not self.stopped and (ticks is None or len(reports) < ticks):
            report = run_tick(self.workspace, progress=progress, session=session)
            reports.append(report)
            if on_tick is not None:
                on_tick(report)
            if ticks is not None and len(reports) >= ticks:
                break
            self._stopped.wait(self.interval.total_seconds())
        return reports


__all__ = ["AgentLoop"]
