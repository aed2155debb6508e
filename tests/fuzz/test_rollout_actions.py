"""Rollout actions over HTTP in any order: one champion, one canary at most, honest answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from tests.fuzz.rollout_machine import GatedRolloutMachine, RolloutMachine
from tests.serving.conftest import TrainedModels

MACHINE = settings(
    max_examples=5,
    stateful_step_count=10,
    deadline=None,
    database=None,
    derandomize=True,  # the same runs every time: no flaky suite
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)
UNGATED = (
    "a refused version starts without an override; a start answered 503 has committed; "
    "a lone surrogate in a start's reason is a 5xx"
)


@pytest.mark.timeout(120)
def test_rollout_actions_in_any_order_keep_the_invariants(
    tmp_path: Path, trained: TrainedModels
) -> None:
    RolloutMachine.trained, RolloutMachine.folder = trained, tmp_path
    run_state_machine_as_test(RolloutMachine, settings=MACHINE)


@pytest.mark.timeout(120)
def test_refused_and_tampered_versions_never_go_live_by_accident(
    tmp_path: Path, trained: TrainedModels
) -> None:
    GatedRolloutMachine.trained, GatedRolloutMachine.folder = trained, tmp_path
    run_state_machine_as_test(GatedRolloutMachine, settings=MACHINE)


@pytest.fixture
def machine(tmp_path: Path, trained: TrainedModels) -> Iterator[GatedRolloutMachine]:
    GatedRolloutMachine.trained, GatedRolloutMachine.folder = trained, tmp_path
    opened = GatedRolloutMachine()
    yield opened
    opened.teardown()


@pytest.mark.timeout(60)
def test_a_start_on_a_tampered_version_changes_nothing_or_says_so(
    machine: GatedRolloutMachine,
) -> None:
    machine.tamper()
    machine.start_a_doubtful_version(3)
    machine.one_champion_at_most_one_canary()
    machine.the_service_reports_the_truth()


@pytest.mark.timeout(60)
def test_a_version_the_gate_refused_does_not_start_without_an_override(
    machine: GatedRolloutMachine,
) -> None:
    machine.gate_refuses(3)
    machine.start_a_doubtful_version(3)


@pytest.mark.timeout(60)
def test_a_start_with_a_lone_surrogate_in_its_reason_is_refused(
    machine: GatedRolloutMachine,
) -> None:
    machine.start_with_an_odd_reason(2, "\ud800")


@pytest.mark.timeout(60)
def test_the_machine_sees_a_good_start_and_promotion(machine: GatedRolloutMachine) -> None:
    machine.start(2, {"reason": "a canary"})
    assert machine.snapshot().challenger == 2
    machine.promote()
    assert machine.snapshot().aliases == {"champion": 2}
    machine.restart()
    machine.the_service_reports_the_truth()
