"""The canary's scores are judged against the challenger's own holdout scores, not the
champion's: a challenger retrained on a shifted world scores it differently, and rightly."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pyarrow as pa
from tests.conftest import record_gate_pass
from tests.serving.conftest import Service, TrainedModels

from watchkeeper.config import MonitoringConfig
from watchkeeper.config.lifecycle import RolloutConfig
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.rollout.canary_reference import canary_reference, score_counts_from_profile
from watchkeeper.rollout.controller import RolloutController, RolloutEvaluation
from watchkeeper.storage.events.tables import SERVED_PREDICTION_SCHEMA
from watchkeeper.training.reference_profile import ReferenceProfileWriter, reference_profile

HIGH_SHARE = 0.6
"""The share of the challenger's scores at 0.9, on its holdout and on the canary alike."""


def test_the_counts_read_from_a_profile_match_the_scores_histogram() -> None:
    scores = np.random.default_rng(3).beta(0.6, 4.0, size=20_000)
    profile = reference_profile(pl.DataFrame({"x": np.zeros(scores.size)}), scores,
                                MonitoringConfig())  # fmt: skip
    counts = score_counts_from_profile(profile)
    expected, _ = np.histogram(scores, bins=10, range=(0.0, 1.0))
    assert counts is not None and sum(counts) == scores.size
    assert np.abs(np.asarray(counts) - expected).max() <= 0.01 * scores.size


def register_with_profile(service: Service, trained: TrainedModels) -> int:
    """A challenger stored with the profile of its holdout scores: HIGH_SHARE at 0.9."""
    workspace = service.workspace
    rows = 1_000
    scores = np.where(np.arange(rows) < HIGH_SHARE * rows, 0.9, 0.1)
    writer = ReferenceProfileWriter(
        trained.features.head(rows), workspace.artifacts, workspace.config.monitoring
    )
    registry = ModelRegistry.for_workspace(workspace)
    version = registry.register(
        trained.good,
        feature_schema=trained.features.schema,
        threshold=0.5,
        feature_spec=trained.fitted.to_json().encode("utf-8"),
        reference_profile_sha256=writer(scores, 0.5),
    ).version
    record_gate_pass(workspace.metadata, workspace.config.model.name, version)
    return version


def log_scores(service: Service, *, version: int, route: str, high: int) -> None:
    """100 predictions of one route, ``high`` of them scored 0.9 (flagged), the rest 0.1."""
    start = service.clock.now() + timedelta(minutes=1)
    rows = {
        "event_id": [f"{route}-{index}" for index in range(100)],
        "ts": [start + timedelta(seconds=index) for index in range(100)],
        "entity": [f"c{index}" for index in range(100)],
        "model_version": [version] * 100,
        "route": [route] * 100,
        "score": [0.9 if index < high else 0.1 for index in range(100)],
        "decision": [index < high for index in range(100)],
        "latency_ms": [1.0] * 100,
        "raw_input": ["{}"] * 100,
        "features": ["{}"] * 100,
    }
    service.workspace.events.append(
        "predictions", pa.Table.from_pydict(rows, schema=SERVED_PREDICTION_SCHEMA)
    )


def score_guard_controller(service: Service) -> RolloutController:
    """Only the score guard judges: the flag-rate and latency guards are opened wide."""
    config = RolloutConfig.model_validate(
        {
            "canary_share": 0.5,
            "min_events": 10_000,
            "guards": {"max_flag_rate_ratio": 1e6, "max_latency_ratio": 1e6},
        }
    )
    return RolloutController(ModelRegistry.for_workspace(service.workspace), config, service.clock)


def evaluate_canary(
    service: Service, challenger: int, *, champion_high: int, canary_high: int
) -> RolloutEvaluation:
    """Start ``challenger``'s canary, log both routes' scores, evaluate the score guard."""
    control = score_guard_controller(service)
    control.start(challenger, actor="agent", reason="retrained on the shifted world")
    log_scores(service, version=service.champion, route="champion", high=champion_high)
    log_scores(service, version=challenger, route="canary", high=canary_high)
    return control.evaluate_from_events(service.workspace.events)


def test_a_canary_scoring_like_its_own_holdout_passes_though_unlike_the_champion(
    service: Service, trained: TrainedModels
) -> None:
    challenger = register_with_profile(service, trained)
    evaluation = evaluate_canary(
        service, challenger, champion_high=2, canary_high=int(HIGH_SHARE * 100)
    )
    assert evaluation.action == "waiting", evaluation.alert
    check = next(check for check in evaluation.checks if check.name == "score_psi")
    assert check.passed and check.value < 0.1  # the same shares, up to the smoothing
    assert vars(check)["reference"] == (
        f"version {challenger}'s holdout scores (its reference profile)"
    )


def test_a_canary_unlike_its_own_holdout_is_rolled_back(
    service: Service, trained: TrainedModels
) -> None:
    challenger = register_with_profile(service, trained)
    evaluation = evaluate_canary(
        service, challenger, champion_high=int(HIGH_SHARE * 100), canary_high=2
    )
    assert evaluation.action == "rolled_back"
    assert "score_psi" in (evaluation.alert or "")
    assert f"against version {challenger}'s holdout scores" in (evaluation.alert or "")


def test_without_a_stored_profile_the_champion_s_scores_stand_in_and_the_evidence_says_so(
    service: Service,
) -> None:
    assert canary_reference(ModelRegistry.for_workspace(service.workspace), service.good) \
        .score_counts is None  # fmt: skip
    evaluation = evaluate_canary(service, service.good, champion_high=2, canary_high=60)
    assert evaluation.action == "rolled_back"
    check = next(check for check in evaluation.checks if check.name == "score_psi")
    assert not check.passed
    reference = (
        f"version {service.good} has no stored reference profile: the champion's scores "
        "over the same period"
    )
    assert vars(check)["reference"] == reference
    rollback = service.workspace.metadata.decisions("card-fraud", kind="rollout_rollback")[0]
    assert reference in rollback.summary
    assert rollback.evidence["checks"][-1]["reference"] == reference
