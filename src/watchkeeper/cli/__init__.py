"""The ``watchkeeper`` command line. Each command lives in a module of its own."""

from __future__ import annotations

from watchkeeper.cli import simulate_command as _simulate_command
from watchkeeper.cli import workspace_commands as _workspace_commands
from watchkeeper.cli.app import app, main

del _simulate_command, _workspace_commands  # imported to register their commands on the app

__all__ = ["app", "main"]
