"""``watchkeeper train`` and ``retrain`` on a workspace loaded by ``watchkeeper simulate``.

200 days of the case-study preset at 1,000 transactions a day (fraud rate 0.8%), with the
new merchant segment and the fraudsters' sudden adaptation moved from day 540 to day 100
(2025-04-11) by a settings file. With the 60-day maturity horizon and 90-day window:

- as of 2025-05-31 the window ends at day 90: all before the shift;
- as of the last transaction (2025-07-19) the window ends at day 140, its holdout (days
  126-140) after the shift, with matured labels of the adapted fraud. A champion trained
  before the shift barely sees that fraud there (PR AUC near the base rate), a model trained
  on the new window does: the gate accepts it by a wide margin, which is what this data truly
  gives (asserted, with the PR AUCs, below).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.cli.conftest import configure_workspace, copy_workspace, run_json

from watchkeeper.cli import main
from watchkeeper.features.fit import fit
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
from watchkeeper.registry.registry import CHAMPION, ModelRegistry
from watchkeeper.storage.artifacts.store import sha256_of_chunks
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.training.attempts import RETRAIN_ATTEMPT, recorded_attempts
from watchkeeper.training.reference_profile import flag_rate
from watchkeeper.training.trainers import train_lightgbm
from watchkeeper.workspace import Workspace

BEFORE_SHIFT = "2025-05-31"
ATTEMPT_KEYS = {
    "started",
    "model",
    "as_of",
    "status",
    "accepted",
    "reason",
    "trigger",
    "stage",
    "champion_version",
    "challenger_version",
    "champion_metrics",
    "challenger_metrics",
    "evidence",
    "undecided",
    "outcome",
}


@pytest.fixture(scope="module")
def simulated_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("train-cli")
    root = Workspace.create(folder / "ws", "fraud")
    # the scenario's dates (shift on day 100, the attempts after it) are set for slices of
    # at least 14 days, the configuration's default; the fraud example's are 7
    configure_workspace(
        root,
        training={
            "parameters": {"n_estimators": 40, "num_threads": 2},
            "holdout": "14d",
            "validation": "14d",
        },
    )
    settings = folder / "shift.yaml"
    settings.write_text(
        yaml.safe_dump(
            {
                "base_fraud_rate": 0.008,
                "segment_shift": {"start_day": 100, "ramp_days": 7},
                "fraud_adaptation": {"start_day": 100, "ramp_days": 7, "mode": "sudden"},
            }
        ),
        encoding="utf-8",
    )
    arguments = ["simulate", "--preset", "case-study", "--days", "200", "--per-day", "1000"]
    assert main([*arguments, "-c", str(settings), "-w", str(root), "--json"]) == 0
    return root


@pytest.fixture
def root(simulated_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    capsys.readouterr()
    return copy_workspace(simulated_root, tmp_path / "ws")


def test_train_registers_a_champion_with_lineage_reference_and_spec(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, attempt, _ = run_json(capsys, root, "train", "--as-of", BEFORE_SHIFT)
    assert code == 0
    assert set(attempt) == ATTEMPT_KEYS | {"slices"}
    assert (attempt["accepted"], attempt["status"], attempt["challenger_version"]) == (
        True,
        "champion",
        1,
    )
    assert attempt["as_of"] == "2025-05-31T00:00:00+00:00"
    with Workspace.open(root) as opened:
        registry = ModelRegistry.for_workspace(opened)
        assert registry.aliases() == {CHAMPION: 1}
        manifest = registry.load(1).manifest
        spec = registry.feature_spec(1)
        assert spec is not None and manifest.reference_profile_sha256 is not None
        profile = DatasetProfile.from_bytes(
            opened.artifacts.get_bytes(manifest.reference_profile_sha256)
        )
        lineage = registry.lineage(1)
    assert manifest.feature_names[0] == "log_amount" and "score" in profile.features
    assert set(manifest.feature_names) | {"score"} == set(profile.features)
    assert profile.rows == attempt["slices"]["holdout"]["rows"]
    holdout_flags = attempt["challenger_metrics"]["flag_rate"]
    assert flag_rate(profile, manifest.threshold_value) == pytest.approx(holdout_flags, abs=0.002)
    assert lineage is not None
    data = lineage.data
    assert set(data.table_versions) == {"transactions", "outcomes"}
    assert data.as_of == "2025-05-31T00:00:00+00:00"
    assert data.maturity_cutoff == "2025-04-01T00:00:00+00:00"
    assert data.rows == sum(part["rows"] for part in attempt["slices"].values())
    assert data.positives > 50 and len(data.frame_sha256) == 64
    assert lineage.code.feature_spec_sha256 == sha256_of_chunks([spec])
    assert lineage.hyperparameters["n_estimators"] == 40
    assert lineage.threshold["value"] == attempt["challenger_metrics"]["threshold"]
    assert lineage.evaluation["pr_auc"] == attempt["challenger_metrics"]["pr_auc"]
    assert (lineage.parent_version, lineage.trigger) == (None, "manual: watchkeeper train")

    assert data.sample is None
    code, again, _ = run_json(capsys, root, "train", "--as-of", BEFORE_SHIFT, "--sample", "0.5")
    assert (code, again["status"], again["challenger_version"]) == (0, "candidate", 2)
    trained, sampled = attempt["slices"]["train"]["rows"], again["slices"]["train"]["rows"]
    assert 0.4 * trained < sampled < 0.6 * trained  # half the cards, each with all its rows
    assert again["slices"]["holdout"] == attempt["slices"]["holdout"]  # never sampled
    code, models, _ = run_json(capsys, root, "models")
    assert [row["status"] for row in models["versions"]] == ["champion", "candidate"]
    code, shown, _ = run_json(capsys, root, "lineage", "2")
    assert shown["lineage"]["parent_version"] == 1
    assert shown["lineage"]["data"]["sample"] == {
        "fraction": 0.5,
        "by": "card_id",
        "seed": 0,
        "training_rows": trained,
        "rows_kept": sampled,
        "rows_left_out": trained - sampled,
    }
    assert main(["train", "--sample", "0", "-w", str(root)]) == 2  # not a fraction: refused


@pytest.mark.slow  # two attempts on a simulated workspace: 71 s on a loaded 2-core machine
def test_retrain_on_identical_data_is_refused_by_the_gate_and_recorded(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_json(capsys, root, "train", "--as-of", BEFORE_SHIFT)[0] == 0
    code, attempt, _ = run_json(
        capsys, root, "retrain", "--reason", "same", "--as-of", BEFORE_SHIFT
    )
    assert code == 0  # an honest "no" is a result, not an error
    assert set(attempt) == ATTEMPT_KEYS | {"slices"}
    assert (attempt["accepted"], attempt["stage"], attempt["status"]) == (
        False,
        "validation",
        "rejected",
    )
    assert attempt["evidence"]["bootstrap"]["difference"] == 0.0  # the very same model
    assert attempt["champion_metrics"]["pr_auc"] == attempt["challenger_metrics"]["pr_auc"]
    assert attempt["trigger"] == "manual: same"
    code, history, _ = run_json(capsys, root, "history", "--kind", RETRAIN_ATTEMPT)
    assert [entry["evidence"]["accepted"] for entry in history] == [False, True]
    with Workspace.open(root) as opened:
        assert ModelRegistry.for_workspace(opened).aliases() == {CHAMPION: 1}


@pytest.mark.slow  # two attempts on a simulated workspace: 85 s on a loaded 2-core machine
def test_retrain_after_the_shift_with_matured_labels_is_accepted(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_json(capsys, root, "train", "--as-of", BEFORE_SHIFT)[0] == 0
    code, attempt, _ = run_json(capsys, root, "retrain", "--reason", "fraud adapted")
    assert code == 0
    assert attempt["as_of"].startswith("2025-07-19T23:")  # the last transaction
    assert (attempt["accepted"], attempt["status"], attempt["challenger_version"]) == (
        True,
        "challenger",
        2,
    )
    champion, challenger = attempt["champion_metrics"], attempt["challenger_metrics"]
    assert champion["pr_auc"] < 0.2 < 0.3 < challenger["pr_auc"]
    assert attempt["evidence"]["bootstrap"]["low"] > 0
    with Workspace.open(root) as opened:
        registry = ModelRegistry.for_workspace(opened)
        assert registry.aliases() == {CHAMPION: 1, "challenger": 2}
        lineage = registry.lineage(2)
    assert lineage is not None and lineage.parent_version == 1


@pytest.mark.slow  # two attempts on a simulated workspace: 67 s on a loaded 2-core machine
def test_retrain_without_a_reason_asks_the_policy(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the example retrains monthly as a fallback; here only drift may trigger
    configure_workspace(
        root, retraining={"triggers": {"psi_features": 1, "psi_windows": 2, "schedule": None}}
    )
    assert run_json(capsys, root, "train", "--as-of", BEFORE_SHIFT)[0] == 0
    code, skipped, _ = run_json(capsys, root, "retrain")
    assert (code, skipped) == (
        0,
        {"started": False, "reason": "no trigger fired", "trigger": None, "evidence": {}},
    )
    code, forced, _ = run_json(capsys, root, "retrain", "--force")
    assert forced["started"] is True and forced["trigger"].startswith("manual: watchkeeper retrain")
    # drift from April: by July its traffic has matured labels for a whole holdout
    day = datetime(2025, 4, 1, tzinfo=UTC)
    rows = [
        MetricRow(
            "card-fraud",
            "psi",
            day + timedelta(days=i),
            day + timedelta(days=i + 1),
            value=0.4,
            status="alert",
            feature="mcc",
        )
        for i in range(2)
    ]
    with Workspace.open(root) as opened:
        opened.metadata.upsert_metrics(rows)
    code, cooling, _ = run_json(capsys, root, "retrain")
    # the forced attempt was recorded at the as-of moment (event time): within the cooldown
    assert cooling["started"] is False and "cooling down" in cooling["reason"]
    code, driven, _ = run_json(capsys, root, "retrain", "--as-of", "2025-07-28")
    assert driven["trigger"].startswith("PSI above the alert level on mcc (0.4)")
    with Workspace.open(root) as opened:
        assert len(recorded_attempts(opened.metadata, "card-fraud")) == 3


def _trainer_raising(root: Path) -> list[str]:
    configure_workspace(root, training={"trainer": "math:sqrt"})
    return ["retrain", "--reason", "x"]


def _too_few_positives(root: Path) -> list[str]:
    configure_workspace(root, retraining={"min_positives": 100_000})
    return ["retrain", "--reason", "x"]


def _schema_change(root: Path) -> list[str]:
    """A champion whose features read a column the new data does not have."""
    import numpy as np
    import polars as pl

    spec = FeatureSpec(
        inputs={"ts": {"type": "timestamp"}, "merchant_risk": {"type": "float", "required": True}},
        transforms=[{"name": "risk", "op": "log1p", "input": "merchant_risk", "fill": 0.0}],
    )
    frame = pl.DataFrame(
        {"ts": [datetime(2025, 1, 1, tzinfo=UTC)] * 200, "risk": np.linspace(0, 1, 200)},
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )
    fitted = fit(spec, frame.rename({"risk": "merchant_risk"}))
    labels = (frame["risk"].to_numpy() > 0.5).astype(np.int8)
    model = train_lightgbm(
        frame.select("risk"),
        labels,
        sample_weight=None,
        parameters={"n_estimators": 3, "num_threads": 1},
        seed=0,
    )
    with Workspace.open(root) as opened:
        registry = ModelRegistry.for_workspace(opened)
        version = registry.register(
            model,
            feature_schema=frame.select("risk").schema,
            threshold=0.5,
            feature_spec=fitted.to_json().encode("utf-8"),
        ).version
        registry.set_status(version, CHAMPION, reason="test")
    return ["retrain", "--reason", "x"]


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda root: ["retrain", "--reason", "x", "--as-of", "2025-02-01"], "no event between"),
        (lambda root: ["train", "--as-of", "2025-01-01T12:00"], "missing outcome data"),
        (_trainer_raising, "refused at training: trainer 'math:sqrt' failed"),
        (_schema_change, "input column 'merchant_risk' is missing"),
    ],
    ids=["empty window", "no outcomes", "trainer raises", "schema change"],
)
def test_bad_input_is_refused_recorded_and_leaves_the_champion(
    root: Path, capsys: pytest.CaptureFixture[str], prepare: Any, message: str
) -> None:
    arguments = prepare(root)
    with Workspace.open(root) as opened:
        before = ModelRegistry.for_workspace(opened).aliases()
    code, attempt, err = run_json(capsys, root, *arguments)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err
    assert attempt["accepted"] is False and attempt["evidence"]["error"]
    with Workspace.open(root) as opened:
        registry = ModelRegistry.for_workspace(opened)
        assert registry.aliases() == before
        assert [found.accepted for found in recorded_attempts(opened.metadata, "card-fraud")] == [
            False
        ]


def test_too_few_positives_is_an_undecided_attempt_not_an_error(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = _too_few_positives(root)
    code, attempt, err = run_json(capsys, root, *arguments)
    assert code == 0 and err == ""
    assert (attempt["accepted"], attempt["undecided"], attempt["outcome"]) == (
        False,
        True,
        "undecided",
    )
    assert attempt["reason"].startswith("not enough matured positives until ")
    assert "retraining.min_positives (100000)" in attempt["reason"]
    assert attempt["evidence"]["undecided"]["needed"] == 100_000


def test_a_bad_as_of_is_one_line_and_exit_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--as-of", "soon", "-w", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: --as-of: 'soon' is not an ISO date or date-time; write 2026-07-01 or "
        "2026-07-01T12:00"
    ]
