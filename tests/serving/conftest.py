"""A workspace with two registered LightGBM versions trained on synthetic card events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from tests.conftest import record_gate_pass

from watchkeeper.clock import EventTimeClock
from watchkeeper.features.batch_engine import compute_batch
from watchkeeper.features.fit import fit
from watchkeeper.features.fitted import FittedFeatureSpec
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.modeling.model import LightGBMModel
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.serving.app import create_app
from watchkeeper.training.trainers import train_lightgbm
from watchkeeper.workspace import Workspace

START = datetime(2026, 6, 1, tzinfo=UTC)
TOKEN = "test-admin-token"
LIVE_EVENTS_AHEAD = "\nserving:\n  event_time:\n    max_future: 1h\n"
"""The served workspace's setting: its live events may lie up to an hour ahead of its clock."""


def synthetic_events(rows: int, seed: int, start: datetime = START) -> pl.DataFrame:
    """Card events in the example workspace's schema, in time order."""
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 7 * 86_400, size=rows))
    return pl.DataFrame(
        {
            "event_id": [f"e{seed}-{index}" for index in range(rows)],
            "ts": [start + timedelta(seconds=int(value)) for value in seconds],
            "card_id": [f"c{value}" for value in rng.integers(0, 300, size=rows)],
            "merchant_id": [f"m{value}" for value in rng.integers(0, 50, size=rows)],
            "merchant_category": rng.choice(["grocery", "travel", "games", "fuel"], size=rows),
            "amount": np.round(rng.lognormal(3.0, 1.2, size=rows), 2),
            "country": rng.choice(["US", "GB", "FR"], size=rows),
            "channel": rng.choice(["card_present", "online"], size=rows),
            "device_id": [f"d{value}" for value in rng.integers(0, 400, size=rows)],
        }
    )


@dataclass(frozen=True)
class TrainedModels:
    fitted: FittedFeatureSpec
    features: pl.DataFrame
    good: LightGBMModel
    bad: LightGBMModel


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainedModels:
    return train_models(tmp_path_factory.mktemp("spec"))


def train_models(folder: Path) -> TrainedModels:
    """Two small LightGBM models (a good one and its inverse) on synthetic events; the
    feature spec is fitted from a workspace created under ``folder``."""
    root = Workspace.create(folder / "ws")
    spec = FeatureSpec.from_workspace_config(Workspace.open(root).config)
    frame = synthetic_events(3000, seed=1)
    fitted = fit(spec, frame)
    features = compute_batch(fitted, frame).features.drop("event_id")
    amount = frame["amount"].to_numpy()
    labels = (amount > np.quantile(amount, 0.97)).astype(np.int8)
    parameters = {"n_estimators": 20, "num_threads": 1, "verbose": -1}
    good = train_lightgbm(features, labels, sample_weight=None, parameters=parameters, seed=0)
    bad = train_lightgbm(features, 1 - labels, sample_weight=None, parameters=parameters, seed=0)
    return TrainedModels(fitted, features, good, bad)


def register(
    workspace: Workspace,
    trained: TrainedModels,
    model: LightGBMModel,
    threshold: float,
    holdout_flag_rate: float | None = None,
) -> int:
    registry = ModelRegistry.for_workspace(workspace)
    loaded = registry.register(
        model,
        feature_schema=trained.features.schema,
        threshold=threshold,
        feature_spec=trained.fitted.to_json().encode("utf-8"),
        metrics={} if holdout_flag_rate is None else {"holdout_flag_rate": holdout_flag_rate},
    )
    return loaded.version


def live_event(index: int, *, after: datetime | None = None, **changes: Any) -> dict[str, Any]:
    """A live event ``index`` seconds ``after`` a moment (default: a day after the training
    week, the served workspace's clock); 200 cards, 40 merchants. A service on the wall clock
    takes events ``after=datetime.now(UTC)``: older ones lie outside its plausible range."""
    moment = after if after is not None else START + timedelta(days=8)
    event: dict[str, Any] = {
        "event_id": f"live-{index}",
        "ts": (moment + timedelta(seconds=index)).isoformat(),
        "card_id": f"c{index % 200}",
        "merchant_id": f"m{index % 40}",
        "merchant_category": "grocery",
        "amount": 20.0 + index % 100,
        "country": "US",
        "channel": "online",
        "device_id": f"d{index % 300}",
    }
    event.update(changes)
    return event


@dataclass
class Service:
    workspace: Workspace
    client: TestClient
    clock: EventTimeClock
    champion: int
    good: int
    bad: int

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    def event(self, index: int, **changes: Any) -> dict[str, Any]:
        return live_event(index, **changes)


@contextmanager
def open_service(tmp_path: Path, trained: TrainedModels, **app_options: Any) -> Iterator[Service]:
    """A workspace with three registered models (the first champion) served by an app made
    with ``app_options`` (:func:`create_app`'s)."""
    clock = EventTimeClock(START + timedelta(days=8))
    root = Workspace.create(tmp_path / "ws")
    config = root / "watchkeeper.yaml"
    # live_event(index) lies index seconds after the fixed clock, and tests send up to 1500
    config.write_text(config.read_text() + LIVE_EVENTS_AHEAD)
    workspace = Workspace.open(root, clock=clock)
    champion = register(workspace, trained, trained.good, threshold=0.5)
    good = register(workspace, trained, trained.good, threshold=0.5)
    bad = register(workspace, trained, trained.bad, threshold=0.5, holdout_flag_rate=0.03)
    ModelRegistry.for_workspace(workspace).set_status(champion, CHAMPION, reason="first")
    record_gate_pass(workspace.metadata, workspace.config.model.name, good, bad)
    app = create_app(workspace, clock=clock, admin_token=TOKEN, **app_options)
    with TestClient(app) as client:
        yield Service(workspace, client, clock, champion, good, bad)
    workspace.close()


@pytest.fixture
def service(tmp_path: Path, trained: TrainedModels) -> Iterator[Service]:
    with open_service(tmp_path, trained) as opened:
        yield opened
