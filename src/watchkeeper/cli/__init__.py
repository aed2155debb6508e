"""The ``watchkeeper`` command line. Each command (group) lives in a module of its own.

Importing a command module registers its commands on :data:`app`.
"""

from __future__ import annotations

from watchkeeper.cli import agent_command as agent_command  # `run`, `ingest`
from watchkeeper.cli import backfill_command as backfill_command  # `features backfill-state`
from watchkeeper.cli import consume_command as consume_command  # `consume`
from watchkeeper.cli import dead_letters_command as dead_letters_command  # `dead-letters`
from watchkeeper.cli import demo_command as demo_command  # `demo`
from watchkeeper.cli import drift_command as drift_command  # `drift`
from watchkeeper.cli import drill_command as drill_command  # `drill`
from watchkeeper.cli import features_command as features_command  # `features`, `skew-check`
from watchkeeper.cli import history_command as history_command  # `history`
from watchkeeper.cli import log_commands as log_commands  # `log predictions`, `log outcomes`
from watchkeeper.cli import models_commands as models_commands  # `models`, `lineage`
from watchkeeper.cli import monitor_command as monitor_command  # `monitor`
from watchkeeper.cli import performance_command as performance_command  # `performance`
from watchkeeper.cli import readiness_command as readiness_command  # `readiness`
from watchkeeper.cli import report_command as report_command  # `report`
from watchkeeper.cli import rollout_commands as rollout_commands  # `rollout`
from watchkeeper.cli import serve_command as serve_command  # `serve`
from watchkeeper.cli import simulate_command as simulate_command  # `simulate`
from watchkeeper.cli import train_command as train_command  # `train`, `retrain`
from watchkeeper.cli import workspace_commands as workspace_commands  # `init`, `check`
from watchkeeper.cli.app import app, main

__all__ = ["app", "main"]
