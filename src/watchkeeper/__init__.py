"""watchkeeper keeps production machine-learning models honest.

The public API is exactly ``__all__``. Heavy parts (Polars, Delta Lake, the simulator) load
on first use, so ``import watchkeeper`` stays fast.

>>> import watchkeeper
>>> watchkeeper.EventTimeClock.__name__
'EventTimeClock'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from watchkeeper.clock import Clock, EventTimeClock, WallClock
from watchkeeper.errors import WatchkeeperError

if TYPE_CHECKING:
    from watchkeeper.config import WorkspaceConfig, load_config
    from watchkeeper.serving.client import Client
    from watchkeeper.simulate import SimulatedTraffic, SimulationConfig, simulate
    from watchkeeper.workspace import Workspace

__version__ = "0.1.0"

_LAZY = {
    "Client": "watchkeeper.serving.client",
    "SimulatedTraffic": "watchkeeper.simulate",
    "SimulationConfig": "watchkeeper.simulate",
    "Workspace": "watchkeeper.workspace",
    "WorkspaceConfig": "watchkeeper.config",
    "load_config": "watchkeeper.config",
    "simulate": "watchkeeper.simulate",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'watchkeeper' has no attribute {name!r}")


__all__ = [
    "Client",
    "Clock",
    "EventTimeClock",
    "SimulatedTraffic",
    "SimulationConfig",
    "WallClock",
    "WatchkeeperError",
    "Workspace",
    "WorkspaceConfig",
    "__version__",
    "load_config",
    "simulate",
]
