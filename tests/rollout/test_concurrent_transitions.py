"""Concurrent promote and rollback from several processes: one wins, one champion always."""

from __future__ import annotations

import multiprocessing
import tempfile
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from tests.conftest import record_gate_pass

from watchkeeper.clock import WallClock
from watchkeeper.config.lifecycle import RolloutConfig
from watchkeeper.errors import RolloutError
from watchkeeper.modeling.model import SklearnModel
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.rollout.controller import RolloutController
from watchkeeper.storage.artifacts.store import open_artifact_store
from watchkeeper.storage.metadata.store import open_metadata_store

MODEL = "fraud"
WORKERS = 4
ROUNDS = 4


def _controller(url: str, artifacts: str) -> RolloutController:
    metadata = open_metadata_store(url, WallClock())
    registry = ModelRegistry(metadata, open_artifact_store(artifacts), MODEL)
    return RolloutController(registry, RolloutConfig(), WallClock())


def _act(task: tuple[str, str, str, float]) -> str:
    url, artifacts, action, at = task
    control = _controller(url, artifacts)
    time.sleep(max(0.0, at - time.monotonic()))
    try:
        if action == "promote":
            control.promote(actor=f"worker-{action}", reason="race")
        else:
            control.rollback(actor=f"worker-{action}", reason="race")
    except RolloutError:
        return "refused"
    finally:
        control.registry.metadata.close()
    return action


def test_exactly_one_transition_wins_and_one_champion_remains(database_url: str) -> None:
    artifacts = tempfile.mkdtemp()
    control = _controller(database_url, artifacts)
    registry = control.registry
    model = SklearnModel(LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1]), ["amount"])
    for _ in range(ROUNDS + 1):
        registry.register(model, feature_schema={"amount": "Float64"}, threshold=0.5)
    registry.set_status(1, CHAMPION, reason="first")
    record_gate_pass(registry.metadata, MODEL, *range(2, ROUNDS + 2))
    context = multiprocessing.get_context("fork")
    with context.Pool(WORKERS) as pool:
        for round_number in range(ROUNDS):
            challenger = round_number + 2
            before = registry.aliases()[CHAMPION]
            control.start(challenger, actor="test", reason=f"round {round_number}")
            at = time.monotonic() + 0.5
            actions = ["promote", "rollback"] * (WORKERS // 2)
            pending = pool.map_async(
                _act, [(database_url, artifacts, action, at) for action in actions]
            )
            while not pending.ready():
                aliases = registry.aliases()
                assert list(aliases).count(CHAMPION) == 1, aliases
                time.sleep(0.005)
            outcomes = pending.get()
            winners = [outcome for outcome in outcomes if outcome != "refused"]
            assert len(winners) == 1, outcomes
            champion = registry.aliases()[CHAMPION]
            assert champion == (challenger if winners[0] == "promote" else before)
            statuses = [record.status for record in registry.versions()]
            assert statuses.count(CHAMPION) == 1, statuses
            assert control.status().state == "idle"
    registry.metadata.close()
