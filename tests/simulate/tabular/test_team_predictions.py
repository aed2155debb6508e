"""The team's own model logs what an external service would, per task, with a new version."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score
from tests.simulate.tabular.conftest import DAYS, SHIFT_DAY, load_example, simulate_small

from watchkeeper.errors import SimulationError
from watchkeeper.features.frame_validation import validate_frame
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.simulate.tabular import TabularSimulation, team_predictions
from watchkeeper.simulate.tabular.common import RAMP_DAYS, simulated_day

SWITCH_DAY = SHIFT_DAY + RAMP_DAYS + 7


def _days(logged: pl.DataFrame) -> pl.Series:
    return logged.select(simulated_day())["day"]


@pytest.fixture(scope="module")
def churn(simulations: dict[str, TabularSimulation]) -> TabularSimulation:
    return simulations["churn"]


def test_binary_predictions_carry_a_score_a_decision_and_the_version(
    churn: TabularSimulation,
) -> None:
    logged = team_predictions(churn, "binary", seed=0)
    assert logged.columns == [*churn.events.columns, "model_label", "score", "decision"]
    assert logged["event_id"].equals(churn.events["event_id"])
    assert logged.schema["score"] == pl.Float64 and logged.schema["decision"] == pl.Boolean
    assert logged["score"].is_between(0, 1).all()
    day = _days(logged)
    assert (
        logged["model_label"] == pl.Series(np.where(day < SWITCH_DAY, "team-v1", "team-v2"))
    ).all()
    # The threshold flags 10% of the first version's training days.
    first_days = logged.filter(day < 60)
    assert first_days["decision"].mean() == pytest.approx(0.1, abs=0.01)
    decided = logged.group_by("model_label").agg(
        lowest_flagged=pl.col("score").filter(pl.col("decision")).min(),
        highest_passed=pl.col("score").filter(~pl.col("decision")).max(),
    )
    assert (decided["lowest_flagged"] > decided["highest_passed"]).all()


def test_the_retrained_version_ranks_the_shifted_churn_better(churn: TabularSimulation) -> None:
    served = team_predictions(churn, "binary", seed=0)
    never_retrained = team_predictions(churn, "binary", seed=0, switch_day=DAYS)
    assert set(never_retrained["model_label"]) == {"team-v1"}
    truth = (churn.outcomes["outcome"] == "churned").to_numpy()
    after = (_days(served) >= SWITCH_DAY).to_numpy()
    second = roc_auc_score(truth[after], served["score"].to_numpy()[after])
    first = roc_auc_score(truth[after], never_retrained["score"].to_numpy()[after])
    print(f"ROC AUC after the switch: team-v1 {first:.3f}, team-v2 {second:.3f}")
    assert second > first + 0.05


def test_multiclass_probabilities_sum_to_one_and_decide_the_class(
    simulations: dict[str, TabularSimulation],
) -> None:
    triage = simulations["triage"]
    classes = load_example("triage").label.classes
    assert classes is not None
    logged = team_predictions(triage, "multiclass", seed=0)
    assert logged.columns[-4:] == ["model_label", "probabilities", "decision", "score"]
    assert logged.schema["probabilities"] == pl.String
    rows = [json.loads(text) for text in logged["probabilities"].to_list()]
    assert all(sorted(row) == sorted(classes) for row in rows)
    matrix = np.array([[row[name] for name in classes] for row in rows])
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-12)
    assert (matrix >= 0).all()
    assert logged["decision"].to_list() == [classes[i] for i in matrix.argmax(axis=1)]
    np.testing.assert_allclose(logged["score"].to_numpy(), matrix.max(axis=1))
    assert logged.filter(_days(logged) >= SWITCH_DAY)["model_label"].unique().to_list() == [
        "team-v2"
    ]


def test_regression_predictions_stay_within_the_outcomes(
    simulations: dict[str, TabularSimulation],
) -> None:
    demand = simulations["demand"]
    logged = team_predictions(demand, "regression", seed=0)
    assert logged.columns[-2:] == ["model_label", "prediction"]
    assert logged.schema["prediction"] == pl.Float64
    assert logged["prediction"].null_count() == 0 and logged["prediction"].min() >= 0  # type: ignore[operator]
    assert set(logged["model_label"]) == {"team-v1", "team-v2"}


def test_the_external_workspace_accepts_the_logged_inputs(churn: TabularSimulation) -> None:
    config = load_example("external")
    assert config.model.serving == "external" and config.model.task == "binary"
    logged = team_predictions(churn, "binary", seed=0)
    inputs = list(config.features.inputs)
    assert inputs == churn.events.columns
    spec = FeatureSpec.from_workspace_config(config)
    assert validate_frame(spec, logged.select(inputs), policy="quarantine").rejected.height == 0
    assert set(churn.outcomes["outcome"]) <= set(config.label.outcome_values)


def test_the_same_seed_logs_the_same_predictions() -> None:
    simulation = simulate_small("triage", seed=11)
    first = team_predictions(simulation, "multiclass", seed=2)
    assert first.equals(team_predictions(simulation, "multiclass", seed=2))


def test_a_task_that_does_not_fit_the_outcomes_is_refused(
    churn: TabularSimulation, simulations: dict[str, TabularSimulation]
) -> None:
    with pytest.raises(SimulationError, match="regression model needs numeric outcomes"):
        team_predictions(churn, "regression")
    with pytest.raises(SimulationError, match="binary model needs two outcome values"):
        team_predictions(simulations["triage"], "binary")
    with pytest.raises(SimulationError, match="'renewed'"):
        team_predictions(churn, "binary", positive_outcome="cancelled")
    with pytest.raises(SimulationError, match="task 'ranking'"):
        team_predictions(churn, "ranking")  # type: ignore[arg-type]
    with pytest.raises(SimulationError, match="switch_day 90 must come after the shift"):
        team_predictions(churn, "binary", switch_day=90)
