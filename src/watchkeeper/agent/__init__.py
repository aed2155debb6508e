"""The agent: the loop that ingests, monitors, alerts, retrains and rolls out by itself."""

from __future__ import annotations

from watchkeeper.agent.tick import TickReport, run_tick

__all__ = ["TickReport", "run_tick"]
