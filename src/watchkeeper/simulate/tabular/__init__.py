"""Seeded simulators of three tabular examples beyond fraud, each with a drift episode.

* :func:`simulate_churn`: subscription accounts, churned or renewed within 30 days (binary);
* :func:`simulate_demand`: daily units sold per store-item, known the next day (regression);
* :func:`simulate_triage`: support tickets and the queue that resolved them (multiclass).

Each returns a :class:`TabularSimulation` whose events carry exactly the inputs of its
example workspace, stable until ``shift_day`` and then drifting in both the inputs and their
relation to the outcome. :func:`team_predictions` scores a simulation with a team's own
model, as the external (monitoring-only) example logs it; :func:`train_team_model` trains
one version of it on a window of labelled events.

>>> simulation = SIMULATORS["demand"](days=10, per_day=20, shift_day=5, seed=2)
>>> simulation.events.height, simulation.outcomes.height, simulation.shift_day
(200, 200, 5)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from watchkeeper.simulate.tabular.churn import CHURN_COLUMNS, simulate_churn
from watchkeeper.simulate.tabular.common import TabularSimulation
from watchkeeper.simulate.tabular.demand import DEMAND_COLUMNS, simulate_demand
from watchkeeper.simulate.tabular.team_model import (
    TeamModel,
    TeamTask,
    labelled_events,
    team_predictions,
    train_team_model,
)
from watchkeeper.simulate.tabular.triage import QUEUES, TRIAGE_COLUMNS, simulate_triage

SIMULATORS: Mapping[str, Callable[..., TabularSimulation]] = MappingProxyType(
    {"churn": simulate_churn, "demand": simulate_demand, "triage": simulate_triage}
)
"""Each example's simulator by the example's name."""

__all__ = [
    "CHURN_COLUMNS",
    "DEMAND_COLUMNS",
    "QUEUES",
    "SIMULATORS",
    "TRIAGE_COLUMNS",
    "TabularSimulation",
    "TeamModel",
    "TeamTask",
    "labelled_events",
    "simulate_churn",
    "simulate_demand",
    "simulate_triage",
    "team_predictions",
    "train_team_model",
]
