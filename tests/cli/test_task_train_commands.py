"""``watchkeeper train`` and ``retrain`` on a multiclass and a regression workspace.

The triage (five queues) and demand (daily units per store-item) example workspaces, loaded
with 100 simulated days of 120 events a day before any drift (the episode starts on day 95,
after the training window). As of the last event, with the examples' maturity horizons (7
and 2 days) and a 60-day window of which the last 14 days are the holdout, both train on
matured labels only. The trained model must beat a trivial one (scikit-learn's metrics of a
constant prediction), and its registered metrics, estimator and reference profile are
checked against the holdout rebuilt independently.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error
from tests.cli.conftest import configure_workspace, copy_workspace, run_json

from watchkeeper.application.scheduled_retraining import retrain_if_due
from watchkeeper.cli import main
from watchkeeper.modeling.class_decision import ClassDecision
from watchkeeper.modeling.model import SklearnModel
from watchkeeper.modeling.task_estimators import load_estimator
from watchkeeper.modeling.task_models import ClassProbabilityModel, ValueModel
from watchkeeper.monitoring.profiles.categorical_profile import CategoricalProfile
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.performance.multiclass_estimation import (
    MulticlassCalibrator,
    estimate_multiclass,
)
from watchkeeper.performance.regression_estimation import LossEstimator, estimate_regression
from watchkeeper.registry.registry import CHALLENGER, CHAMPION, ModelRegistry
from watchkeeper.simulate.tabular.demand import simulate_demand
from watchkeeper.simulate.tabular.triage import QUEUES, simulate_triage
from watchkeeper.training.attempt_runner import EXTERNAL_SERVING
from watchkeeper.training.attempts import recorded_attempts
from watchkeeper.training.pipeline import build_attempt_inputs
from watchkeeper.training.reference_profile import prediction_columns_for_profile
from watchkeeper.workspace import Workspace

pytestmark = pytest.mark.slow

LIGHTGBM = {"trainer": "lightgbm", "parameters": {"n_estimators": 40, "num_threads": 1}}


def _simulated(folder: Path, example: str) -> Path:
    root = Workspace.create(folder / example, example=example)
    configure_workspace(
        root,
        training={**LIGHTGBM, "window": "60d", "validation": "10d", "holdout": "14d"},
        retraining={"min_holdout_rows": 200, "bootstrap_samples": 200},
    )
    simulate = simulate_triage if example == "triage" else simulate_demand
    simulation = simulate(days=100, per_day=120, seed=3, shift_day=95)
    with Workspace.open(root) as workspace:
        workspace.events.write_bulk("transactions", simulation.events)
        outcomes = simulation.outcomes.with_columns(received_at=pl.col("outcome_ts"))
        workspace.events.write_bulk("outcomes", outcomes)
    return root


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("task-train")
    return {example: _simulated(folder, example) for example in ("triage", "demand")}


def _copy(simulated: dict[str, Path], example: str, tmp_path: Path) -> Path:
    return copy_workspace(simulated[example], tmp_path / example)


def _profile(workspace: Workspace, registry: ModelRegistry) -> DatasetProfile:
    digest = registry.manifest(1).reference_profile_sha256
    assert digest is not None
    return DatasetProfile.from_bytes(workspace.artifacts.get_bytes(digest))


def test_train_a_multiclass_version_with_its_decision_estimator_and_profile(
    simulated: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(simulated, "triage", tmp_path)
    code, attempt, _ = run_json(capsys, root, "train")
    assert code == 0
    assert (attempt["task"], attempt["status"], attempt["challenger_version"]) == (
        "multiclass",
        "champion",
        1,
    )
    holdout_classes = attempt["slices"]["holdout"]["classes"]
    assert set(holdout_classes) <= set(QUEUES) and len(holdout_classes) >= 4
    metrics = attempt["challenger_metrics"]
    with Workspace.open(root) as workspace:
        registry = ModelRegistry.for_workspace(workspace)
        manifest = registry.manifest(1)
        extra = manifest.extra
        assert (extra["task"], extra["classes"]) == ("multiclass", list(QUEUES))
        assert manifest.calibrator is None and manifest.threshold_value == 0.0
        decision = ClassDecision.from_dict(extra["decision"])
        calibrator = load_estimator(extra, workspace.artifacts)
        profile = _profile(workspace, registry)
        lineage = registry.lineage(1)
        # the holdout again, rebuilt by the pipeline with the champion's feature spec in place
        inputs = build_attempt_inputs(workspace, registry)
        model = registry.load(1).task_model
    assert isinstance(model, ClassProbabilityModel)
    assert decision.rule == "argmax" and decision.costs is not None  # the example's cost matrix
    holdout = inputs.window.holdout
    probabilities = model.predict_probabilities(holdout.select(manifest.feature_names))
    decided = decision.decided_classes(probabilities)
    actual = holdout["label"].to_numpy().astype(str)
    present = sorted(set(actual))
    assert metrics["rows"] == holdout.height == profile.rows
    assert metrics["accuracy"] == pytest.approx(accuracy_score(actual, decided))
    macro_f1 = f1_score(actual, decided, labels=present, average="macro", zero_division=0)
    assert metrics["macro_f1"] == pytest.approx(macro_f1)
    majority = np.full(actual.size, max(set(actual), key=list(actual).count))
    trivial = f1_score(actual, majority, labels=present, average="macro", zero_division=0)
    assert metrics["macro_f1"] > trivial + 0.3
    assert metrics["accuracy"] > accuracy_score(actual, majority) + 0.2
    # the estimator: fitted on these probabilities, it gives back about the accuracy seen
    assert isinstance(calibrator, MulticlassCalibrator)
    assert MulticlassCalibrator.from_dict(extra["estimator"]["calibrator"]) == calibrator
    estimate = estimate_multiclass(probabilities, decided.tolist(), calibrator)
    assert estimate.accuracy == pytest.approx(metrics["accuracy"], abs=0.03)
    # the reference profile: the features, the decided class and its probability
    assert prediction_columns_for_profile("multiclass") == ("decision", "score")
    assert set(profile.features) == set(manifest.feature_names) | {"decision", "score"}
    decisions = profile.features["decision"]
    assert isinstance(decisions, CategoricalProfile)
    assert isinstance(profile.features["score"], NumericProfile)
    profiled = dict(zip(decisions.categories, decisions.counts, strict=True))
    assert profiled == {
        str(name): int(count)
        for name, count in zip(*np.unique(decided, return_counts=True), strict=True)
    }
    assert lineage is not None and lineage.data.positives is None
    assert lineage.data.slices == attempt["slices"]
    assert lineage.threshold == {"decision": extra["decision"]}
    assert lineage.evaluation == metrics
    _, listed, _ = run_json(capsys, root, "models")
    shown = listed["versions"][0]["metrics"]
    assert (shown["macro_f1"], shown["accuracy"]) == (metrics["macro_f1"], metrics["accuracy"])
    capsys.readouterr()
    assert main(["models", "-w", str(root)]) == 0
    table = capsys.readouterr().out
    assert "macro F1" in table and f"{metrics['accuracy']:,.4g}" in table and "PR AUC" not in table


def test_train_a_regression_version_with_its_loss_estimator_and_profile(
    simulated: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(simulated, "demand", tmp_path)
    code, attempt, _ = run_json(capsys, root, "train")
    assert code == 0
    assert (attempt["task"], attempt["status"]) == ("regression", "champion")
    assert set(attempt["slices"]["holdout"]) == {"rows"}
    metrics = attempt["challenger_metrics"]
    with Workspace.open(root) as workspace:
        registry = ModelRegistry.for_workspace(workspace)
        manifest = registry.manifest(1)
        estimator = load_estimator(manifest.extra, workspace.artifacts)
        stored = workspace.artifacts.get_bytes(manifest.extra["estimator"]["artifact_sha256"])
        profile = _profile(workspace, registry)
        inputs = build_attempt_inputs(workspace, registry)
        model = registry.load(1).task_model
        assert isinstance(model, ValueModel)
        integrity = registry.verify()
    assert manifest.extra == {"task": "regression", "estimator": manifest.extra["estimator"]}
    assert "estimator" in manifest.artifact_digests() and integrity[0].ok
    features = inputs.window.holdout.select(manifest.feature_names)
    actual = inputs.window.holdout["label"].to_numpy()
    predicted = model.predict_values(features)
    assert metrics["mae"] == pytest.approx(mean_absolute_error(actual, predicted))
    assert metrics["mae"] < 0.8 * mean_absolute_error(actual, np.full(actual.size, actual.mean()))
    assert isinstance(estimator, LossEstimator)
    assert LossEstimator.from_dict(json.loads(stored)) == estimator
    assert estimator.feature_names == manifest.feature_names
    estimate = estimate_regression(features, predicted, estimator)
    assert estimate.mae.value == pytest.approx(metrics["mae"], rel=0.1)
    assert set(profile.features) == set(manifest.feature_names) | {"prediction"}
    assert isinstance(profile.features["prediction"], NumericProfile)
    assert profile.features["prediction"].count == actual.size


@pytest.mark.parametrize(
    ("example", "trivial"),
    [
        ("triage", "sklearn:sklearn.dummy.DummyClassifier"),
        ("demand", "sklearn:sklearn.dummy.DummyRegressor"),
    ],
)
def test_retrain_goes_through_the_task_gate(
    simulated: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    example: str,
    trivial: str,
) -> None:
    root = _copy(simulated, example, tmp_path)
    configure_workspace(root, training={"trainer": trivial, "parameters": {}})
    assert run_json(capsys, root, "train")[0] == 0
    configure_workspace(root, training=LIGHTGBM)
    code, attempt, _ = run_json(capsys, root, "retrain", "--reason", "a real model")
    assert code == 0
    assert (attempt["accepted"], attempt["status"], attempt["challenger_version"]) == (
        True,
        "challenger",
        2,
    )
    evidence = attempt["evidence"]
    assert evidence["primary_metric"] == "business_value"
    assert evidence["challenger_value"] > evidence["champion_value"]
    assert evidence["bootstrap"]["low"] > 0
    configure_workspace(root, training={"trainer": trivial, "parameters": {}})
    code, again, _ = run_json(capsys, root, "retrain", "--reason", "the champion's own kind again")
    assert (code, again["accepted"], again["status"]) == (0, False, "rejected")
    with Workspace.open(root) as workspace:
        registry = ModelRegistry.for_workspace(workspace)
        assert registry.aliases() == {CHAMPION: 1, CHALLENGER: 2}
        assert registry.lineage(3) is not None
        assert registry.lineage(3).parent_version == 1  # type: ignore[union-attr]


def test_the_metrics_printed_are_the_tasks(
    simulated: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(simulated, "demand", tmp_path)
    capsys.readouterr()
    assert main(["train", "-w", str(root)]) == 0
    printed = capsys.readouterr().out
    assert "mae " in printed and "rmse " in printed and "pr_auc" not in printed


def test_a_model_served_outside_watchkeeper_is_not_trained(
    simulated: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(simulated, "triage", tmp_path)
    configure_workspace(root, model={"serving": "external"})
    for arguments in (["train"], ["retrain", "--reason", "drift"]):
        code, printed, error = run_json(capsys, root, *arguments)
        assert (code, printed) == (2, None)
        assert EXTERNAL_SERVING in " ".join(error.split())
    with Workspace.open(root) as workspace:
        step = retrain_if_due(workspace, workspace.clock.now())  # the agent only asks the team
        assert step.run is None and step.request is None  # no trigger fired: nothing to ask
        registry = ModelRegistry.for_workspace(workspace)
        assert (
            registry.versions() == []
            and recorded_attempts(workspace.metadata, "ticket-triage") == []
        )


def test_a_champion_of_another_task_is_refused_at_the_data_stage(
    simulated: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(simulated, "triage", tmp_path)
    with Workspace.open(root) as workspace:
        registry = ModelRegistry.for_workspace(workspace)
        binary = SklearnModel(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), ["x"])
        registry.register(binary, feature_schema={"x": "Float64"}, threshold=0.5)
        registry.set_status(1, CHAMPION, reason="a binary model from before")
    code, attempt, error = run_json(capsys, root, "train")
    assert (code, attempt["accepted"], attempt["stage"]) == (2, False, "data")
    assert "version 1, is a binary model and model.task is multiclass" in " ".join(error.split())
