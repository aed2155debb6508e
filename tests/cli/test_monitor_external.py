"""``watchkeeper monitor`` on a workspace whose model is served elsewhere names the task's
metrics and says when a version's reference is still being logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from watchkeeper.cli.app import main
from watchkeeper.simulate.tabular import simulate_demand, team_predictions
from watchkeeper.workspace import Workspace


@pytest.mark.slow
def test_monitor_names_a_regression_models_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Workspace.create(tmp_path / "demand", example="demand")
    config = root / "watchkeeper.yaml"
    config.write_text(config.read_text().replace("  task:", "  serving: external\n  task:", 1))
    simulation = simulate_demand(days=40, per_day=50, shift_day=30, seed=2)
    with Workspace.open(root) as workspace:
        workspace.log_predictions(
            team_predictions(simulation, "regression", seed=2, training_days=20)
        )
        workspace.log_outcomes(simulation.outcomes)
    workspace_path = str(root)

    assert main(["monitor", "-w", workspace_path, "--until", "2025-01-13"]) == 0
    early = capsys.readouterr().out
    assert "served elsewhere, regression" in early
    assert "reference builds once 28 days are logged (12 so far)" in early
    assert "metric rows written: 0" in early

    assert main(["monitor", "-w", workspace_path, "--until", "2025-02-15", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "regression"
    assert {"psi", "prediction_psi", "mae", "bias", "estimated_mae", "cost"} <= set(
        report["metrics"]
    )
    assert report["champion"] == 1 and len(report["windows"]) == 40
    assert report["rows_written"] > 0
