"""watchkeeper keeps production machine-learning models honest.

The public API is exactly ``__all__``. Heavy parts (Polars, Delta Lake, the simulator) load
on first use, so ``import watchkeeper`` stays fast.

>>> import watchkeeper
>>> watchkeeper.EventTimeClock.__name__
'EventTimeClock'
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

# LightGBM's OpenMP threads spin while they wait for work by default. On a machine busy with
# other processes (parallel tests, a service beside a training job) the spinning threads take
# the cores from the ones holding the work: a 200-tree multiclass fit on 3,600 rows took 166 s
# with 2 spinning threads against 5 s with passive waits. OpenMP reads this once, when LightGBM
# loads it; a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from watchkeeper.clock import Clock, EventTimeClock, WallClock
from watchkeeper.errors import WatchkeeperError

if TYPE_CHECKING:
    from watchkeeper.agent.loop import AgentLoop
    from watchkeeper.agent.tick import run_tick
    from watchkeeper.analysis import AnalysisResult, Reference
    from watchkeeper.application.rollout_actions import (
        end_canary,
        evaluate_canary,
        rollout_status,
        start_canary,
    )
    from watchkeeper.application.skew_check import skew_check
    from watchkeeper.application.training import retrain, train
    from watchkeeper.config import WorkspaceConfig, load_config
    from watchkeeper.demo import DemoSettings, run_demo
    from watchkeeper.drill.run import run_drill
    from watchkeeper.monitoring.job.monitor_job import run_monitor
    from watchkeeper.registry.registry import ModelRegistry
    from watchkeeper.report import build_report
    from watchkeeper.serving.client import Client
    from watchkeeper.serving.local_scoring import LocalScorer
    from watchkeeper.serving.prediction_logger import PredictionLogger
    from watchkeeper.simulate import SimulatedTraffic, SimulationConfig, simulate
    from watchkeeper.training.attempt_runner import TrainingRun, run_training_attempt
    from watchkeeper.workspace import Workspace

__version__ = "0.1.0"

_LAZY = {
    "AgentLoop": "watchkeeper.agent.loop",
    "AnalysisResult": "watchkeeper.analysis",
    "Client": "watchkeeper.serving.client",
    "DemoSettings": "watchkeeper.demo",
    "LocalScorer": "watchkeeper.serving.local_scoring",
    "ModelRegistry": "watchkeeper.registry.registry",
    "PredictionLogger": "watchkeeper.serving.prediction_logger",
    "Reference": "watchkeeper.analysis",
    "SimulatedTraffic": "watchkeeper.simulate",
    "SimulationConfig": "watchkeeper.simulate",
    "TrainingRun": "watchkeeper.training.attempt_runner",
    "Workspace": "watchkeeper.workspace",
    "WorkspaceConfig": "watchkeeper.config",
    "build_report": "watchkeeper.report",
    "end_canary": "watchkeeper.application.rollout_actions",
    "evaluate_canary": "watchkeeper.application.rollout_actions",
    "load_config": "watchkeeper.config",
    "retrain": "watchkeeper.application.training",
    "rollout_status": "watchkeeper.application.rollout_actions",
    "run_demo": "watchkeeper.demo",
    "run_drill": "watchkeeper.drill.run",
    "run_monitor": "watchkeeper.monitoring.job.monitor_job",
    "run_tick": "watchkeeper.agent.tick",
    "run_training_attempt": "watchkeeper.training.attempt_runner",
    "simulate": "watchkeeper.simulate",
    "skew_check": "watchkeeper.application.skew_check",
    "start_canary": "watchkeeper.application.rollout_actions",
    "train": "watchkeeper.application.training",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'watchkeeper' has no attribute {name!r}")


__all__ = [
    "AgentLoop",
    "AnalysisResult",
    "Client",
    "Clock",
    "DemoSettings",
    "EventTimeClock",
    "LocalScorer",
    "ModelRegistry",
    "PredictionLogger",
    "Reference",
    "SimulatedTraffic",
    "SimulationConfig",
    "TrainingRun",
    "WallClock",
    "WatchkeeperError",
    "Workspace",
    "WorkspaceConfig",
    "__version__",
    "build_report",
    "end_canary",
    "evaluate_canary",
    "load_config",
    "retrain",
    "rollout_status",
    "run_demo",
    "run_drill",
    "run_monitor",
    "run_tick",
    "run_training_attempt",
    "simulate",
    "skew_check",
    "start_canary",
    "train",
]
