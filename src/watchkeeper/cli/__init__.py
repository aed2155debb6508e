"""The ``watchkeeper`` command line. Each command lives in a module of its own."""

from __future__ import annotations

from watchkeeper.cli import drift_command as drift_command  # registers `drift`
from watchkeeper.cli import features_command as features_command  # `features`, `skew-check`
from watchkeeper.cli import history_command as history_command  # registers `history`
from watchkeeper.cli import models_commands as models_commands  # `models`, `lineage`
from watchkeeper.cli import monitor_command as monitor_command  # registers `monitor`
from watchkeeper.cli import readiness_command as readiness_command  # registers `readiness`
from watchkeeper.cli import rollout_commands as rollout_commands  # registers `rollout`
from watchkeeper.cli import serve_command as serve_command  # registers `serve`
from watchkeeper.cli import simulate_command as _simulate_command
from watchkeeper.cli import train_command as train_command  # `train`, `retrain`
from watchkeeper.cli import workspace_commands as _workspace_commands
from watchkeeper.cli.app import app, main

del _simulate_command, _workspace_commands  # imported to register their commands on the app

__all__ = ["app", "main"]
