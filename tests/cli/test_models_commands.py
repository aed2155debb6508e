"""``watchkeeper models``, ``models verify``, ``lineage`` and ``history`` on a real workspace."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from watchkeeper.cli import main
from watchkeeper.registry.lineage import CodeLineage, DataLineage, EnvironmentLineage, Lineage
from watchkeeper.registry.registry import CHALLENGER, CHAMPION, ModelRegistry
from watchkeeper.storage.artifacts.store import object_key
from watchkeeper.training.trainers import train_lightgbm
from watchkeeper.workspace import Workspace

TRIGGER = "PSI 0.31 on merchant_category in week 2026-06-01"


def lineage(parent: int | None) -> Lineage:
    return Lineage(
        data=DataLineage(
            {"transactions": 2}, "2026-01-01", "2026-04-01", "2026-04-01", 600, 40, "ab" * 32
        ),
        code=CodeLineage(None, None, "0.1.0", None),
        environment=EnvironmentLineage("3.11.9", "Linux", {}),
        trainer="lightgbm",
        hyperparameters={"n_estimators": 5},
        seed=0,
        threshold={"value": 0.5},
        evaluation={"pr_auc": 0.5},
        parent_version=parent,
        trigger=TRIGGER,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = Workspace.create(tmp_path / "ws", "fraud")
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"amount": rng.normal(size=300), "night": rng.normal(size=300)})
    labels = (frame["amount"].to_numpy() > 1).astype(np.int8)
    model = train_lightgbm(
        frame, labels, sample_weight=None, parameters={"n_estimators": 5, "num_threads": 1}, seed=0
    )
    with Workspace.open(root) as opened:
        registry = ModelRegistry.for_workspace(opened)
        registry.register(
            model,
            feature_schema=frame.schema,
            threshold=0.5,
            metrics={"pr_auc": 0.61, "business_value": 12500.0},
            lineage=lineage(None),
        )
        other = frame.select("night", "amount")
        registry.register(
            train_lightgbm(
                other,
                labels,
                sample_weight=None,
                parameters={"n_estimators": 6, "num_threads": 1},
                seed=0,
            ),
            feature_schema=other.schema,
            threshold=0.6,
            metrics={"pr_auc": 0.7},
            lineage=lineage(1),
        )
        registry.set_status(1, CHAMPION, reason="first version")
        registry.set_status(2, CHALLENGER, reason="passed the gate")
        opened.metadata.record_decision(
            model="card-fraud", kind="alert", summary="psi 0.31 on merchant_category"
        )
        opened.metadata.record_decision(
            model="card-fraud",
            kind="retrain_attempt",
            summary="retraining attempt accepted",
            evidence={"accepted": True},
        )
    return root


def test_models_lists_versions_statuses_aliases_and_metrics(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "-w", str(workspace), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "card-fraud"
    assert report["aliases"] == {"champion": 1, "challenger": 2}
    rows = [(row["version"], row["status"], row["aliases"]) for row in report["versions"]]
    assert rows == [(1, "champion", ["champion"]), (2, "challenger", ["challenger"])]
    assert report["versions"][0]["metrics"] == {"business_value": 12500.0, "pr_auc": 0.61}
    assert main(["models", "-w", str(workspace)]) == 0
    table = capsys.readouterr().out
    assert "champion" in table and "12,500" in table


def test_models_verify_passes_then_names_a_tampered_version(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "verify", "-w", str(workspace), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    with Workspace.open(workspace) as opened:
        digest = ModelRegistry.for_workspace(opened).manifest(2).model_sha256
    path = workspace / ".watchkeeper" / "artifacts" / object_key(digest)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"tree", b"TREE", 1))

    assert main(["models", "verify", "-w", str(workspace), "--json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False
    assert [(item["version"], item["ok"]) for item in report["versions"]] == [
        (1, True),
        (2, False),
    ]
    assert "version 2 of card-fraud failed verification" in captured.err
    assert "version 1" not in captured.err
    assert main(["models", "verify", "-w", str(workspace)]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_lineage_shows_what_made_a_version(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lineage", "challenger", "-w", str(workspace), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == 2
    assert document["lineage"]["trigger"] == TRIGGER
    assert document["lineage"]["parent_version"] == 1
    assert main(["lineage", "1", "-w", str(workspace)]) == 0
    assert TRIGGER in capsys.readouterr().out


def test_lineage_of_an_unknown_version_is_one_line_and_exit_2(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lineage", "7", "-w", str(workspace)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1
    assert "model 'card-fraud' has no version 7 (registered: 1, 2)" in error[0]


def test_history_lists_decisions_newest_first(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "-w", str(workspace), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [entry["kind"] for entry in entries] == ["retrain_attempt", "alert"]
    assert entries[0]["evidence"] == {"accepted": True}
    assert main(["history", "-w", str(workspace), "--kind", "alert", "--json"]) == 0
    assert [entry["kind"] for entry in json.loads(capsys.readouterr().out)] == ["alert"]
    assert main(["history", "-w", str(workspace)]) == 0
    assert "retraining attempt accepted" in capsys.readouterr().out


def test_history_refuses_a_kind_that_does_not_exist(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "-w", str(workspace), "--kind", "promotion"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1
    assert "--kind: 'promotion' is not a kind of decision; choose one of alert," in error[0]
    assert "rollout_promote" in error[0]


def test_an_empty_registry_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = Workspace.create(tmp_path / "empty", "fraud")
    assert main(["models", "-w", str(root)]) == 0
    assert "no registered version yet" in capsys.readouterr().out
    assert main(["history", "-w", str(root)]) == 0
    assert "no decision" in capsys.readouterr().out
