"""Multiclass decisions: argmax and cost-minimizing on hand-computed cases, and their config."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from watchkeeper.config import BusinessValueConfig, TrainingConfig, WorkspaceConfig
from watchkeeper.errors import ConfigError
from watchkeeper.modeling.class_decision import ClassDecision, class_decision

CLASSES = ("billing", "technical", "sales")
# actual -> predicted -> cost: sending a technical ticket elsewhere is expensive
COST_MATRIX = {
    "billing": {"technical": 2.0, "sales": 1.0},
    "technical": {"billing": 10.0, "sales": 10.0},
    "sales": {"billing": 1.0, "technical": 3.0},
}


def test_cost_minimizing_on_a_hand_computed_case() -> None:
    decision = class_decision(
        TrainingConfig(decision="cost_minimizing"),
        BusinessValueConfig(cost_matrix=COST_MATRIX),
        CLASSES,
    )
    probabilities = np.array([[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.45, 0.1, 0.45]])
    # row 0: billing 0.3*10 + 0.1*1 = 3.1; technical 0.6*2 + 0.1*3 = 1.5; sales 0.6*1 + 0.3*10 = 3.6
    # row 1: billing 0.1*10 + 0.8*1 = 1.8; technical 0.1*2 + 0.8*3 = 2.6; sales 0.1*1 + 0.1*10 = 1.1
    # row 2: billing 1.0 + 0.45 = 1.45; technical 0.9 + 1.35 = 2.25; sales 0.45 + 1.0 = 1.45 (tie)
    np.testing.assert_allclose(
        decision.expected_costs(probabilities),
        [[3.1, 1.5, 3.6], [1.8, 2.6, 1.1], [1.45, 2.25, 1.45]],
    )
    assert decision.decided_classes(probabilities).tolist() == ["technical", "sales", "billing"]
    argmax = class_decision(TrainingConfig(), BusinessValueConfig(cost_matrix=COST_MATRIX), CLASSES)
    assert argmax.decided_classes(probabilities).tolist() == ["billing", "sales", "billing"]


def test_a_decision_round_trips_through_its_dictionary() -> None:
    decision = class_decision(
        TrainingConfig(decision="cost_minimizing"),
        BusinessValueConfig(cost_matrix=COST_MATRIX),
        CLASSES,
    )
    assert ClassDecision.from_dict(decision.to_dict()) == decision


def test_cost_minimizing_without_a_cost_matrix_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"cost_minimizing needs monitoring\.business\.cost_matrix"
    ):
        class_decision(TrainingConfig(decision="cost_minimizing"), BusinessValueConfig(), CLASSES)


def workspace(**sections: object) -> dict[str, object]:
    return {
        "model": {"name": "triage", "task": "multiclass"},
        "owner": {"name": "Ana", "contact": "ana@example.com"},
        "label": {"classes": list(CLASSES)},
        **sections,
    }


def test_the_workspace_file_checks_the_decision_and_the_gate_metric() -> None:
    with pytest.raises(ValidationError, match=r"cost_minimizing needs monitoring\.business"):
        WorkspaceConfig.model_validate(workspace(training={"decision": "cost_minimizing"}))
    with pytest.raises(ValidationError, match=r"names class\(es\) refunds not in label\.classes"):
        WorkspaceConfig.model_validate(
            workspace(monitoring={"business": {"cost_matrix": {"refunds": {"sales": 1}}}})
        )
    with pytest.raises(ValidationError, match="'pr_auc' does not apply to a multiclass model"):
        WorkspaceConfig.model_validate(workspace(retraining={"primary_metric": "pr_auc"}))
    binary = {"model": {"name": "fraud"}, "owner": {"name": "Ana", "contact": "ana@x.org"}}
    with pytest.raises(ValidationError, match="cost_minimizing applies to multiclass models"):
        WorkspaceConfig.model_validate({**binary, "training": {"decision": "cost_minimizing"}})
    with pytest.raises(ValidationError, match="'mae' does not apply to a binary model"):
        WorkspaceConfig.model_validate({**binary, "retraining": {"primary_metric": "mae"}})
    config = WorkspaceConfig.model_validate(
        workspace(
            training={"decision": "cost_minimizing"},
            monitoring={"business": {"cost_matrix": COST_MATRIX}},
            retraining={"primary_metric": "macro_f1"},
        )
    )
    assert config.training.decision == "cost_minimizing"
