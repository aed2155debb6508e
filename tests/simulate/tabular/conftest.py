"""Small simulations of the tabular examples and their example workspaces, built once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import watchkeeper.examples
from watchkeeper.config import WorkspaceConfig
from watchkeeper.config.loading import load_config
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.simulate.tabular import SIMULATORS, TabularSimulation

EXAMPLES_FOLDER = Path(watchkeeper.examples.__file__).parent
SHIFT_DAY = 100
DAYS = 160
PER_DAY = {"churn": 120, "demand": 150, "triage": 120}
"""Events a day: enough for the drift tests' statistics, small enough to stay fast."""
TASKS = {"churn": "binary", "demand": "regression", "triage": "multiclass"}


@dataclass(frozen=True)
class Example:
    """One example: its workspace file, feature spec and a small simulation."""

    name: str
    config: WorkspaceConfig
    spec: FeatureSpec
    simulation: TabularSimulation


def load_example(name: str) -> WorkspaceConfig:
    """The bundled example workspace ``name``, read as ``watchkeeper init`` would."""
    return load_config(EXAMPLES_FOLDER / f"{name}.yaml", environment={})


def simulate_small(name: str, seed: int = 7) -> TabularSimulation:
    return SIMULATORS[name](days=DAYS, per_day=PER_DAY[name], seed=seed, shift_day=SHIFT_DAY)


@pytest.fixture(scope="session", params=sorted(SIMULATORS))
def example(request: pytest.FixtureRequest) -> Example:
    name: str = request.param
    config = load_example(name)
    return Example(name, config, FeatureSpec.from_workspace_config(config), simulate_small(name))


@pytest.fixture(scope="session")
def simulations() -> dict[str, TabularSimulation]:
    return {name: simulate_small(name) for name in SIMULATORS}
