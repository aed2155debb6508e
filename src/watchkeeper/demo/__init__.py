"""The case study replayed: the same stream without watchkeeper and with it."""

from __future__ import annotations

from watchkeeper.demo.replay import DemoSettings, run_demo
from watchkeeper.demo.summary import DemoSummary

__all__ = ["DemoSettings", "DemoSummary", "run_demo"]
