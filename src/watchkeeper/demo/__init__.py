"""The case studies replayed: the same stream without watchkeeper and with it — the fraud
model watchkeeper trains and serves, and a team's own churn model it only watches."""

from __future__ import annotations

from watchkeeper.demo.external_replay import ExternalDemoSettings, run_external_demo
from watchkeeper.demo.external_summary import ExternalDemoSummary, summary_lines
from watchkeeper.demo.replay import DemoSettings, run_demo
from watchkeeper.demo.summary import DemoSummary

__all__ = [
    "DemoSettings",
    "DemoSummary",
    "ExternalDemoSettings",
    "ExternalDemoSummary",
    "run_demo",
    "run_external_demo",
    "summary_lines",
]
