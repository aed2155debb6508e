"""The controller's refusals and its audit trail, on a small in-memory registry."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sklearn.linear_model import LogisticRegression
from tests.conftest import record_gate_pass

from watchkeeper.clock import EventTimeClock
from watchkeeper.config.lifecycle import RolloutConfig
from watchkeeper.errors import RegistryError, RolloutError
from watchkeeper.modeling.model import SklearnModel
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.rollout.controller import RolloutController
from watchkeeper.rollout.guards import CanaryStatistics, RouteStatistics
from watchkeeper.storage.artifacts.store import open_artifact_store
from watchkeeper.storage.metadata.store import open_metadata_store


@pytest.fixture
def control() -> Iterator[RolloutController]:
    clock = EventTimeClock(datetime(2026, 6, 1, tzinfo=UTC))
    metadata = open_metadata_store("sqlite://", clock)
    registry = ModelRegistry(metadata, open_artifact_store(tempfile.mkdtemp()), "fraud")
    model = SklearnModel(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), ["amount"])
    for _ in range(3):
        registry.register(model, feature_schema={"amount": "Float64"}, threshold=0.5)
    record_gate_pass(metadata, "fraud", 2, 3)
    yield RolloutController(registry, RolloutConfig(min_events=10), clock)
    metadata.close()


def test_a_canary_needs_a_champion_and_another_version(control: RolloutController) -> None:
    with pytest.raises(RolloutError, match="no champion"):
        control.start(2, actor="dana")
    control.registry.set_status(1, CHAMPION, reason="first")
    with pytest.raises(RolloutError, match="already the champion"):
        control.start(1, actor="dana")
    with pytest.raises(RegistryError, match="no version 9"):
        control.start(9, actor="dana")


def test_one_canary_at_a_time_and_nothing_to_end_when_idle(control: RolloutController) -> None:
    control.registry.set_status(1, CHAMPION, reason="first")
    with pytest.raises(RolloutError, match="no rollout"):
        control.promote(actor="dana")
    control.start(2, actor="dana")
    with pytest.raises(RolloutError, match="already running"):
        control.start(3, actor="dana")
    assert control.registry.aliases() == {"champion": 1, "challenger": 2}


def test_a_failed_error_rate_guard_rolls_back_even_before_enough_events(
    control: RolloutController,
) -> None:
    control.registry.set_status(1, CHAMPION, reason="first")
    control.start(2, actor="dana")
    failing = RouteStatistics(events=5, errors=5)
    evaluation = control.evaluate(CanaryStatistics(RouteStatistics(events=100), failing))
    assert evaluation.action == "rolled_back"
    assert evaluation.alert is not None and "error_rate 0.5" in evaluation.alert
    kinds = [entry.kind for entry in control.registry.metadata.decisions("fraud")]
    assert kinds[:2] == ["rollout_rollback", "rollout_start"]
    assert control.evaluate(CanaryStatistics(failing, failing)).action == "idle"


def test_promotion_waits_for_the_minimum_number_of_events(control: RolloutController) -> None:
    control.registry.set_status(1, CHAMPION, reason="first")
    control.start(2, actor="dana")
    control.clock.advance(timedelta(hours=49))  # type: ignore[attr-defined]
    few = RouteStatistics(events=5)
    assert control.evaluate(CanaryStatistics(few, few)).action == "waiting"
    enough = RouteStatistics(events=10)
    assert control.evaluate(CanaryStatistics(enough, enough)).action == "promoted"
    assert control.status().rollout is not None
    assert control.status().rollout.state == "promoted"  # type: ignore[union-attr]
