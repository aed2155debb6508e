"""The readiness scorecard: each question fails, warns and passes on the evidence found."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.cli import main
from watchkeeper.clock import EventTimeClock
from watchkeeper.readiness import assess
from watchkeeper.registry.lineage import CodeLineage, DataLineage, EnvironmentLineage, Lineage
from watchkeeper.registry.registry import ModelRegistry
from watchkeeper.storage.metadata.records import MetricRow
from watchkeeper.training.trainers import train_lightgbm
from watchkeeper.workspace import Workspace

DAY = datetime(2026, 6, 1, tzinfo=UTC)


def lineage() -> Lineage:
    return Lineage(
        data=DataLineage(
            table_versions={"transactions": 3, "outcomes": 2},
            window_start="2026-01-01T00:00:00+00:00",
            window_end="2026-03-31T00:00:00+00:00",
            maturity_cutoff="2026-03-31T00:00:00+00:00",
            rows=1500,
            positives=40,
            frame_sha256="ab" * 32,
        ),
        code=CodeLineage(
            git_commit="cd" * 20,
            git_dirty=False,
            watchkeeper_version="0.1.0",
            feature_spec_sha256=None,
        ),
        environment=EnvironmentLineage(python="3.11", platform="linux", packages={}),
        trainer="lightgbm",
        hyperparameters={"n_estimators": 10},
        seed=0,
        threshold={"value": 0.5},
        evaluation={"pr_auc": 0.7},
        parent_version=None,
        trigger="manual",
    )


def register_champion(workspace: Workspace) -> None:
    generator = np.random.default_rng(0)
    frame = pl.DataFrame({"amount": generator.lognormal(3, 1, 500)})
    labels = (generator.random(500) < 0.1).astype(np.int8)
    model = train_lightgbm(
        frame, labels, sample_weight=None, parameters={"n_estimators": 5, "num_threads": 1}, seed=0
    )
    registry = ModelRegistry.for_workspace(workspace)
    loaded = registry.register(model, feature_schema=frame.schema, threshold=0.5, lineage=lineage())
    registry.set_status(loaded.record.version, "champion", reason="first version")


def write_metrics(workspace: Workspace, *metrics: str) -> None:
    workspace.metadata.upsert_metrics(
        MetricRow(
            workspace.config.model.name,
            metric,
            DAY,
            DAY + timedelta(days=1),
            value=0.1,
            status="ok",
        )
        for metric in metrics
    )


def statuses(workspace: Workspace) -> dict[str, str]:
    return {answer.key: answer.status for answer in assess(workspace).answers}


def test_a_fully_set_up_workspace_passes(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    text = (
        (root / "watchkeeper.yaml")
        .read_text()
        .replace(
            "    - {type: log}",
            "    - {type: log}\n    - {type: slack, url: 'https://hooks.example.com/T0/B0'}",
        )
    )
    (root / "watchkeeper.yaml").write_text(text)
    with Workspace.open(root, EventTimeClock(DAY)) as workspace:
        register_champion(workspace)
        write_metrics(workspace, "psi", "score_psi", "business_value")
        card = assess(workspace)
    assert {answer.key: answer.status for answer in card.answers} == dict.fromkeys(
        ["drift_detection", "retraining", "ownership", "lineage", "business_outcome"], "pass"
    )
    assert card.passed
    lineage_answer = next(answer for answer in card.answers if answer.key == "lineage")
    assert any("1500 rows" in line for line in lineage_answer.evidence)


def test_missing_pieces_fail_with_a_remedy(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "watchkeeper.yaml").write_text(
        "model: {name: bare}\nowner: {name: A, contact: a@b.c}\nretraining: {enabled: false}\n"
    )
    with Workspace.open(root) as workspace:
        card = assess(workspace)
    answers = {answer.key: answer for answer in card.answers}
    assert {key: answer.status for key, answer in answers.items()} == {
        "drift_detection": "fail",
        "retraining": "fail",
        "ownership": "fail",
        "lineage": "fail",
        "business_outcome": "warn",
    }
    assert all(answer.remedy for answer in card.answers)
    assert not card.passed


def test_champion_without_lineage_fails(tmp_path: Path) -> None:
    root = Workspace.create(tmp_path / "ws")
    with Workspace.open(root) as workspace:
        registry = ModelRegistry.for_workspace(workspace)
        frame = pl.DataFrame({"amount": np.arange(200, dtype=float)})
        model = train_lightgbm(
            frame,
            (np.arange(200) % 7 == 0).astype(np.int8),
            sample_weight=None,
            parameters={"n_estimators": 3, "num_threads": 1},
            seed=0,
        )
        loaded = registry.register(model, feature_schema=frame.schema, threshold=0.5)
        registry.set_status(loaded.record.version, "champion", reason="no lineage")
        assert statuses(workspace)["lineage"] == "fail"


def test_command_json_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = Workspace.create(tmp_path / "ws")
    assert main(["readiness", "-w", str(root), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is False
    assert [answer["key"] for answer in document["answers"]] == [
        "drift_detection",
        "retraining",
        "ownership",
        "lineage",
        "business_outcome",
    ]
